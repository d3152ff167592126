import path from 'node:path';
import { z } from 'zod';
import { analyseScaler, darkRateWarning, scalerThreshold, type ScalerThreshold, type TriggerType } from '../analysis/dark-rate.js';
import { newDataDir } from '../station/data-dirs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import type { Thermometer } from '../lab/instruments/thermometer.js';
import { rounds } from './rounds.js';
import { PMTS, pmtFields, pmtSerialOf, type PmtIdentity, pmtFileAttrs, pmtIdentity } from './pmt-json.js';
import {
  darkRateGoalpost,
  hvUp,
  readScalerWindows,
  SCALER,
  scalerBaseline,
  setTrigger,
  writeSeries,
  DARK_RATE_QUANTITIES,
} from './scaler-windows.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, hvUpEach, laserOff, measurementFailures } from './module-jobs.js';
import { iniBool, iniInt, iniText } from './values.js';
import { resultRow } from './result-rows.js';

export { darkRateGoalpost, SCALER } from './scaler-windows.js';

/**
 * `measure_scaler` (measure_scaler.py, original-system.md §6.4): the dark rate of every PMT at
 * 0.25 PE with the laser off. HV at the module's set point, the baseline from software-triggered
 * waveforms, then n_runs scaler windows of 100 ms on both PMTs of a module at once, dead-time
 * corrected; one module per wire pair at a time, n_jobs wire pairs in parallel.
 */
const params = z.object({
  comment: iniText().default('FAT'),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  use_alt_thresholds: iniBool(false).describe("also the original's alternative thresholds: 0.25 PE -1 and +1 ADC, 0.3 PE"),
  no_hv: iniBool(false).describe('leave the HV as it is'),
  use_fir: iniBool(false).describe('use the FIR trigger instead of the ADC threshold trigger'),
  n_runs: iniInt({ min: 10, max: 100_000 }).default(5000).describe('scaler windows of 100 ms per PMT'),
});
type P = z.infer<typeof params>;

/**
 * `use_alt_thresholds`: the original's alternative threshold set, 0.25 PE with steps of -1, 0 and
 * +1 ADC, and 0.3 PE (original-system.md §6.4), each read for n_runs windows. The rate at 0.25 PE
 * stays the measurement and its result; the others show how steeply the rate depends on the
 * threshold (an SPE peak that moved, a noisy baseline), recorded as `darkrate.alt_threshold`.
 */
export const ALT_THRESHOLDS: ReadonlyArray<{ pe: number; shiftAdc: number }> = [
  { pe: 0.25, shiftAdc: -1 },
  { pe: 0.25, shiftAdc: 0 },
  { pe: 0.25, shiftAdc: 1 },
  { pe: 0.3, shiftAdc: 0 },
];
const isMain = (t: { pe: number; shiftAdc: number }) => t.pe === 0.25 && t.shiftAdc === 0;

export interface AltThresholdRate {
  pe: number;
  shiftAdc: number;
  thresholdAdc: number;
  meanHz: number;
  stdHz: number;
  file: string;
}

export interface PmtDarkRate extends PmtIdentity {
  channel: PmtChannel;
  hvVolts: number;
  baselineAdc: number;
  thresholdAdc: number;
  thresholdNote: string;
  meanHz: number;
  stdHz: number;
  medianHz: number;
  windows: number;
  mainboardTempC: number;
  deggSurfaceTempC: number;
  boxSurfaceTempC: number;
  warnHz: number;
  aboveWarning: boolean;
  file: string;
  key: string;
  alt: AltThresholdRate[];
}

/** scaler series read per module: one, or one per threshold of the alternative set */
const seriesPerModule = (p: P) => (p.use_alt_thresholds ? ALT_THRESHOLDS.length : 1);

interface ModuleTemps {
  mainboardC: number;
  deggSurfaceC: number;
  boxSurfaceC: number;
}

type AltCounts = Array<{ setting: (typeof ALT_THRESHOLDS)[number]; thresholdAdc: number[]; counts: Uint32Array[] }>;

/** what was read from one module, for both PMTs */
interface ModuleReadings {
  trigger: TriggerType;
  thresholds: ScalerThreshold[];
  hv: number[];
  baselines: number[];
  counts: Uint32Array[];
  altCounts: AltCounts;
  temps: ModuleTemps;
}

async function moduleThresholds(ctx: TaskContext, m: ActiveModule): Promise<{ spes: number[]; thresholds: ScalerThreshold[] }> {
  const spes: number[] = [];
  for (const pmt of PMTS) spes.push(Number((await pmtFields(ctx.ws, m.jsonFile, pmt)).SPEPeakHeight ?? -1));
  const thresholds: ScalerThreshold[] = PMTS.map((pmt, ch) => {
    const spe = spes[ch];
    try {
      return scalerThreshold(spe);
    } catch (e) {
      throw new Error(`${m.serial} (port ${m.port}) ${pmt}: ${(e as Error).message}`, { cause: e });
    }
  });
  return { spes, thresholds };
}

async function readModule(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  s: IcebootSession,
  thermometer: Thermometer | null,
  onWindow: () => void,
): Promise<ModuleReadings> {
  const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';
  const { spes, thresholds } = await moduleThresholds(ctx, m);
  const hv: number[] = [];
  for (const ch of [0, 1] as const) hv.push((await s.hvReadback(ch)).hvVolts);
  const baselines: number[] = [];
  for (const ch of [0, 1] as const) baselines.push(await scalerBaseline(s, ch, m));
  for (const ch of [0, 1] as const) await setTrigger(s, ch, baselines[ch], thresholds[ch].thresholdAdc, trigger);

  const room = thermometer ? await thermometer.readAll() : null;
  const mbBefore = await s.temperatureC();
  const counts = await readScalerWindows(ctx, s, [0, 1], p.n_runs, onWindow);
  const altCounts: AltCounts = [];
  for (const setting of p.use_alt_thresholds ? ALT_THRESHOLDS.filter((t) => !isMain(t)) : []) {
    const thresholdAdc = PMTS.map(
      (_, ch) =>
        (setting.pe === 0.25 ? thresholds[ch].thresholdAdc : scalerThreshold(spes[ch], setting.pe).thresholdAdc) + setting.shiftAdc,
    );
    for (const ch of [0, 1] as const) await setTrigger(s, ch, baselines[ch], thresholdAdc[ch], trigger);
    altCounts.push({ setting, thresholdAdc, counts: await readScalerWindows(ctx, s, [0, 1], p.n_runs, onWindow) });
  }
  const temps: ModuleTemps = {
    mainboardC: (mbBefore + (await s.temperatureC())) / 2,
    deggSurfaceC: room ? room[1] : NaN,
    boxSurfaceC: room ? room[2] : NaN,
  };
  return { trigger, thresholds, hv, baselines, counts, altCounts, temps };
}

/** the series at the alternative thresholds of one PMT, written to their own files */
async function altThresholdRates(
  ctx: TaskContext,
  m: ActiveModule,
  dir: string,
  ch: PmtChannel,
  pmtSerial: string,
  r: ModuleReadings,
): Promise<AltThresholdRate[]> {
  const periodS = SCALER.periodUs / 1e6;
  const pmt = PMTS[ch];
  const alt: AltThresholdRate[] = [];
  for (const x of r.altCounts) {
    const ax = analyseScaler(x.counts[ch], periodS, SCALER.deadtimeCycles);
    const altFile = path.join(
      dir,
      `${pmtSerial}_${x.setting.pe}pe${x.setting.shiftAdc ? `${x.setting.shiftAdc > 0 ? '+' : ''}${x.setting.shiftAdc}adc` : ''}.hdf5`,
    );
    await writeSeries(altFile, x.counts[ch], ax.rates, {
      ...pmtFileAttrs(m, pmt, pmtSerial),
      period_us: SCALER.periodUs,
      deadtime_cycles: SCALER.deadtimeCycles,
      trigger: r.trigger,
      baseline_adc: r.baselines[ch],
      threshold_adc_over_baseline: x.thresholdAdc[ch],
      threshold_pe: x.setting.pe,
      threshold_shift_adc: x.setting.shiftAdc,
      hv_volts: r.hv[ch],
      mainboard_temp_c: r.temps.mainboardC,
      time: new Date(ctx.ws.clock.now()).toISOString(),
    });
    alt.push({
      pe: x.setting.pe,
      shiftAdc: x.setting.shiftAdc,
      thresholdAdc: x.thresholdAdc[ch],
      meanHz: ax.meanHz,
      stdHz: ax.stdHz,
      file: altFile,
    });
  }
  return alt;
}

/** the module JSON entry of one PMT; returns its key */
async function addScalerEntry(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  dir: string,
  ch: PmtChannel,
  r: ModuleReadings,
  a: ReturnType<typeof analyseScaler>,
  alt: AltThresholdRate[],
  file: string,
): Promise<string> {
  return ctx.record.entry(
    m.jsonFile,
    'DarkrateScalerMeasurement',
    {
      Folder: dir,
      Comment: p.comment,
      Constants: {
        period: SCALER.periodUs,
        deadtime: SCALER.deadtimeCycles,
        n_runs: p.n_runs,
        threshold: r.thresholds[ch].thresholdAdc,
      },
      use_fir: p.use_fir,
      Baseline: r.baselines[ch],
      BaselineFilename: 'AltMethod',
      DEggSurfaceTemp: r.temps.deggSurfaceC,
      BoxSurfaceTemp: r.temps.boxSurfaceC,
      MainboardTemp: r.temps.mainboardC,
      HV: r.hv[ch],
      DarkRateMeanHz: a.meanHz,
      DarkRateStdHz: a.stdHz,
      DarkRateMedianHz: a.medianHz,
      ThresholdNote: r.thresholds[ch].note,
      Filename: file,
      ...(alt.length
        ? {
            AltThresholds: alt.map((x) => ({
              PE: x.pe,
              ShiftADC: x.shiftAdc,
              Threshold: x.thresholdAdc,
              DarkRateMeanHz: x.meanHz,
              DarkRateStdHz: x.stdHz,
              Filename: x.file,
            })),
          }
        : {}),
      TaskId: ctx.task.id,
    },
    PMTS[ch],
  );
}

/** analyses, writes and records one PMT's readings */
async function pmtDarkRate(ctx: TaskContext, p: P, m: ActiveModule, dir: string, ch: PmtChannel, r: ModuleReadings): Promise<PmtDarkRate> {
  const periodS = SCALER.periodUs / 1e6;
  const { trigger, thresholds, hv, baselines, counts, temps } = r;
  const pmt = PMTS[ch];
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  const a = analyseScaler(counts[ch], periodS, SCALER.deadtimeCycles);
  if (trigger === 'fir' && a.medianCount > SCALER.maxFirMedianCount)
    throw new Error(
      `${m.serial} (port ${m.port}) ${pmt}: median scaler count ${a.medianCount} per ${periodS * 1000} ms window is above ${SCALER.maxFirMedianCount} with the FIR trigger: the threshold (${thresholds[ch].thresholdAdc} ADC) is wrong or the PMT is not dark`,
    );
  const file = path.join(dir, `${pmtSerial}.hdf5`);
  await writeSeries(file, counts[ch], a.rates, {
    ...pmtFileAttrs(m, pmt, pmtSerial),
    period_us: SCALER.periodUs,
    deadtime_cycles: SCALER.deadtimeCycles,
    trigger,
    baseline_adc: baselines[ch],
    threshold_adc_over_baseline: thresholds[ch].thresholdAdc,
    hv_volts: hv[ch],
    mainboard_temp_c: temps.mainboardC,
    time: new Date(ctx.ws.clock.now()).toISOString(),
  });
  const alt = await altThresholdRates(ctx, m, dir, ch, pmtSerial, r);
  const w = darkRateWarning(temps.mainboardC, trigger);
  const key = await addScalerEntry(ctx, p, m, dir, ch, r, a, alt, file);
  return {
    ...pmtIdentity(m, pmt, pmtSerial),
    channel: ch,
    hvVolts: hv[ch],
    baselineAdc: baselines[ch],
    thresholdAdc: thresholds[ch].thresholdAdc,
    thresholdNote: thresholds[ch].note,
    meanHz: a.meanHz,
    stdHz: a.stdHz,
    medianHz: a.medianHz,
    windows: a.windows,
    mainboardTempC: temps.mainboardC,
    deggSurfaceTempC: temps.deggSurfaceC,
    boxSurfaceTempC: temps.boxSurfaceC,
    warnHz: w.warnHz,
    aboveWarning: a.meanHz > w.warnHz,
    file,
    key,
    alt,
  };
}

async function measureModule(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  dir: string,
  thermometer: Thermometer | null,
  onWindow: () => void,
): Promise<PmtDarkRate[]> {
  return ctx.lab.module(m.port, async (s) => {
    const r = await readModule(ctx, p, m, s, thermometer, onWindow);
    const out: PmtDarkRate[] = [];
    for (const ch of [0, 1] as const) out.push(await pmtDarkRate(ctx, p, m, dir, ch, r));
    return out;
  });
}

async function connectThermometer(ctx: TaskContext): Promise<Thermometer | null> {
  try {
    return await ctx.lab.thermometer();
  } catch (e) {
    ctx.emit({
      level: 'warn',
      kind: 'measure.scaler.thermometer',
      message: `measure_scaler: no thermometer (${(e as Error).message}); DEggSurfaceTemp and BoxSurfaceTemp are recorded as null`,
      audience: 'channel',
    });
    return null;
  }
}

/** progress per PMT, and a warning for a rate above its limit */
function reportRates(ctx: TaskContext, trigger: TriggerType, r: PmtDarkRate[], progress: number): void {
  for (const x of r) {
    ctx.progress(progress, `${x.serial} ${x.pmt}: ${x.meanHz.toFixed(0)} ± ${x.stdHz.toFixed(0)} Hz at ${x.mainboardTempC.toFixed(1)} °C`);
    if (x.aboveWarning)
      ctx.emit({
        level: 'warn',
        kind: 'measure.scaler.high-rate',
        message: `Dark rate of ${x.serial} (port ${x.port}) ${x.pmt} ${x.pmtSerial} is ${x.meanHz.toFixed(0)} Hz at ${x.mainboardTempC.toFixed(1)} °C (${trigger.toUpperCase()} trigger). If > ${x.warnHz} Hz or consistently the same module, contact an expert`,
        audience: 'people',
        data: { port: x.port, pmt: x.pmt, rateHz: x.meanHz, warnHz: x.warnHz, temperatureC: x.mainboardTempC },
      });
  }
}

async function recordScalerResults(ctx: TaskContext, dir: string, trigger: TriggerType, pmts: PmtDarkRate[]): Promise<void> {
  await ctx.record.results(
    'measure_scaler',
    dir,
    pmts.flatMap((x) => [
      resultRow(x, darkRateGoalpost(trigger, x.mainboardTempC), {
        value: x.meanHz,
        detail: { stdHz: x.stdHz, temperatureC: x.mainboardTempC, thresholdAdc: x.thresholdAdc, windows: x.windows },
      }),
      ...x.alt.map((a) =>
        resultRow(x, 'darkrate.alt_threshold', {
          value: a.meanHz,
          detail: { stdHz: a.stdHz, pe: a.pe, shiftAdc: a.shiftAdc, thresholdAdc: a.thresholdAdc, temperatureC: x.mainboardTempC },
        }),
      ),
    ]),
  );
}

function pmtSummary(x: PmtDarkRate) {
  return {
    port: x.port,
    serial: x.serial,
    pmt: x.pmt,
    pmtSerial: x.pmtSerial,
    darkRateHz: x.meanHz,
    stdHz: x.stdHz,
    medianHz: x.medianHz,
    temperatureC: x.mainboardTempC,
    thresholdAdc: x.thresholdAdc,
    baselineAdc: x.baselineAdc,
    hvVolts: x.hvVolts,
    aboveWarning: x.aboveWarning,
    note: x.thresholdNote,
    key: x.key,
    alt: x.alt.map((a) => ({ pe: a.pe, shiftAdc: a.shiftAdc, thresholdAdc: a.thresholdAdc, darkRateHz: a.meanHz })),
  };
}

export const kind = {
  name: 'measure_scaler',
  summary: 'dark rate from scalers at 0.25 PE (5000 windows of 100 ms per PMT)',
  quantities: [...DARK_RATE_QUANTITIES, 'darkrate.alt_threshold'],
  params,
  positional: ['comment', 'n_jobs', 'use_alt_thresholds', 'no_hv', 'use_fir'],
  estimateS: (p, m) => SCALER.hvRampS + rounds(m, p.n_jobs) * (seriesPerModule(p) * p.n_runs * (SCALER.periodUs / 1e6) + 40),
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_scaler: the run has no active modules');
    const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';

    // the laser off: dark means dark
    await laserOff(ctx);

    const log = measurementFailures(ctx, 'scaler', 'measure_scaler');
    const { failures, fail } = log;

    if (!p.no_hv) {
      ctx.progress(0, `HV on ${modules.length} D-Eggs`);
      await hvUpEach(ctx, modules, SCALER.hvRampS, fail, (s, m) => hvUp(ws, s, m));
    }

    const dir = newDataDir(ws.home.dataDir, 'scaler', ws.clock.now());
    const thermometer = await connectThermometer(ctx);

    const todo = log.without(modules);
    const totalWindows = todo.length * p.n_runs * seriesPerModule(p);
    let windows = 0;
    const onWindow = () => {
      windows++;
      if (windows % 50 === 0 || windows === totalWindows) ctx.progress(windows / totalWindows, `${windows}/${totalWindows} scaler windows`);
    };
    const pmts: PmtDarkRate[] = [];
    await eachModule(ctx, todo, { jobs: p.n_jobs, log }, async (m) => {
      const r = await measureModule(ctx, p, m, dir, thermometer, onWindow);
      pmts.push(...r);
      reportRates(ctx, trigger, r, windows / totalWindows);
    });

    if (!pmts.length) throw new Error(`measure_scaler measured no module: ${log.summary()}`);
    pmts.sort((a, b) => a.port - b.port || a.channel - b.channel);
    await recordScalerResults(ctx, dir, trigger, pmts);
    return {
      folder: dir,
      trigger,
      nRuns: p.n_runs,
      pmts: pmts.map(pmtSummary),
      failures,
    };
  },
} satisfies TaskKind<P>;

import type { DocStore } from '../records/json-docs.js';
import path from 'node:path';
import { z } from 'zod';
import type { TriggerType } from '../analysis/dark-rate.js';
import { TARGET_GAIN } from '../analysis/gain.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { rounds } from './rounds.js';
import { setHvAndWait, type SpePoint, GAIN_QUANTITY } from './gain-acquire.js';
import { speAtHv } from './gain-check.js';
import { finishMonitoring, monitorRounds, startMonitoring, type MonitorRound } from './monitor-common.js';
import { darkSteps, thresholdFrom, type DarkSteps } from './monitor-pmt.js';
import { hvSetPoint, PMTS, pmtSection, pmtSerialOf, where, type PmtName } from './pmt-json.js';
import { darkRateGoalpost, DARK_RATE_QUANTITIES } from './scaler-windows.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { iniBool, iniInt } from './values.js';

/**
 * `slowmon` (monitoring/recall.py, "gain-scan monitoring" while the freezer ramps,
 * original-system.md §6.12): per PMT the pressure and temperature, a quick gain calibration that
 * gives a new HV at gain 1e7 which is applied, a gain check there, scalers at 0.25 PE and Δt, all
 * with the temperature: the dark rate against temperature record of a cool-down.
 *
 * The calibration is one SPE point at the present HV and the PMT's own exponent k of G = A·V^k
 * from its latest gain scan (GainFitExp; 7 when it has none, the scan fit's start value):
 * V(1e7) = V·(1e7 / G)^(1/k). One point suffices because k barely changes with temperature,
 * while A does; a few-point power-law fit would cost three more points per PMT and loop.
 */
export const SLOWMON = {
  defaultExponent: 7,
  hvBoundsVolts: [1050, 1950] as const,
};

const params = z.object({
  max_i: iniInt({ min: 1 }).default(1),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  use_fir: iniBool(true),
  /** the original's console detail: icefat logs every step either way */
  verbose: iniBool(false),
  n_gain_events: iniInt({ min: 100 }).default(30000),
  n_check_events: iniInt({ min: 100 }).default(20000),
  n_runs: iniInt({ min: 10 }).default(1000),
  n_dt_events: iniInt({ min: 10 }).default(10000),
});
type P = z.infer<typeof params>;

/** GainFitExp of the PMT's latest gain scan, or the default. */
export async function knownExponent(ws: DocStore, m: ActiveModule, pmt: PmtName): Promise<{ k: number; from: string }> {
  const sec = await pmtSection(ws, m.jsonFile, pmt);
  const keys = Object.keys(sec)
    .filter((k) => /^GainMeasurement_\d+$/.test(k))
    .sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
  for (const key of keys.reverse()) {
    const e = sec[key] as Record<string, unknown>;
    if (e.Superseded !== undefined) continue;
    const k = Number(e.GainFitExp);
    if (e.mode !== 'check' && k > 1 && k < 20) return { k, from: key };
  }
  return { k: SLOWMON.defaultExponent, from: 'default' };
}

export function hvFor1e7(hvVolts: number, gain: number, k: number): number {
  const v = hvVolts * Math.pow(TARGET_GAIN / gain, 1 / k);
  return Math.round(Math.min(SLOWMON.hvBoundsVolts[1], Math.max(SLOWMON.hvBoundsVolts[0], v)));
}

interface Calibration {
  before: SpePoint;
  hvBefore: number;
  k: number;
  kFrom: string;
  hvNew: number;
}

/** The quick calibration of both PMTs: one SPE point at the present HV, the new V(1e7) from it. */
async function calibrate(ctx: TaskContext, p: P, s: IcebootSession, m: ActiveModule, i: number, dir: string): Promise<Calibration[]> {
  const cal: Calibration[] = [];
  for (const ch of [0, 1] as PmtChannel[]) {
    const pmt = PMTS[ch];
    const hvBefore = i === 0 ? Math.round(await hvSetPoint(ctx.ws, m.jsonFile, pmt)) : Math.round((await s.hvReadback(ch)).hvVolts);
    const before = await speAtHv(
      ctx,
      s,
      m,
      ch,
      hvBefore,
      p.n_gain_events,
      path.join(dir, `${await pmtSerialOf(ctx.ws, m, pmt)}_gain_${hvBefore}V_${i}.hdf5`),
    );
    const { k, from } = await knownExponent(ctx.ws, m, pmt);
    cal.push({ before, hvBefore, k, kFrom: from, hvNew: hvFor1e7(hvBefore, before.gain, k) });
  }
  return cal;
}

/** The PMT's DarkrateTemperature entry of iteration `i`. */
function addCheckEntry(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  pmt: PmtName,
  x: { dir: string; i: number; c: Calibration; after: SpePoint; d: DarkSteps; pressureHpa: number; temperatureC: number },
): Promise<string> {
  const { dir, i, c, after, d, pressureHpa, temperatureC } = x;
  return ctx.record.entry(
    m.jsonFile,
    'DarkrateTemperature',
    {
      Folder: dir,
      Iteration: i,
      use_fir: p.use_fir,
      MainboardTemp: temperatureC,
      Pressure: pressureHpa,
      HVBefore: c.hvBefore,
      GainBefore: c.before.gain,
      GainFitExp: c.k,
      GainFitExpFrom: c.kFrom,
      HV1e7Gain: c.hvNew,
      Gain: after.gain,
      SPEPeakCharge: after.peakPc,
      Baseline: after.baselineAdc,
      Threshold: d.thresholdAdc,
      DarkRateMeanHz: d.darkRateHz,
      DarkRateStdHz: d.darkRateStdHz,
      DtRateHz: d.dt.data.analysis.rateHz,
      CorrelatedFraction: d.dt.data.analysis.correlatedFraction,
      GainFilename: after.file,
      ScalerFilename: d.scalerFile,
      DtFilename: d.dt.file,
      TaskId: ctx.task.id,
    },
    pmt,
  );
}

/** One PMT at its new HV: a gain check, scalers, Δt, the entry and the rows. */
async function checkPmt(
  ctx: TaskContext,
  p: P,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  i: number,
  c: Calibration,
  before: { pressureHpa: number; temperatureC: number },
  a: MonitorRound,
): Promise<void> {
  const { dir, trigger } = a;
  const { pressureHpa, temperatureC } = before;
  const pmt = PMTS[ch];
  const at = { port: m.port, serial: m.serial, pmt };
  const after = await speAtHv(
    ctx,
    s,
    m,
    ch,
    c.hvNew,
    p.n_check_events,
    path.join(dir, `${await pmtSerialOf(ctx.ws, m, pmt)}_check_${c.hvNew}V_${i}.hdf5`),
  );
  const d = await darkSteps(ctx, s, m, ch, {
    trigger,
    thresholdAdc: await thresholdFrom(ctx.ws, m, ch, after),
    baselineAdc: after.baselineAdc,
    nRuns: p.n_runs,
    nDtEvents: p.n_dt_events,
    dir,
    tag: `${i}`,
  });
  const tempAfterC = await s.temperatureC();
  const key = await addCheckEntry(ctx, p, m, pmt, { dir, i, c, after, d, pressureHpa, temperatureC: (temperatureC + tempAfterC) / 2 });
  const t = (temperatureC + tempAfterC) / 2;
  a.rows.push(
    { ...at, name: GAIN_QUANTITY.check, value: after.gain, detail: { hvVolts: c.hvNew, hvBefore: c.hvBefore, temperatureC: t } },
    { ...at, name: darkRateGoalpost(trigger, t), value: d.darkRateHz, detail: { temperatureC: t, iteration: i } },
    { ...at, name: 'dt.rate', value: d.dt.data.analysis.rateHz, detail: { temperatureC: t } },
  );
  a.summary.push({
    ...at,
    iteration: i,
    temperatureC: t,
    hvBefore: c.hvBefore,
    hvNew: c.hvNew,
    gain: after.gain,
    darkRateHz: d.darkRateHz,
    key,
  });
  ctx.progress(
    a.summary.length / (2 * a.modules * p.max_i),
    `${where(m, pmt)}: V(1e7) ${c.hvBefore} -> ${c.hvNew} V, ${d.darkRateHz.toFixed(0)} Hz at ${t.toFixed(1)} °C`,
  );
}

export const kind: TaskKind<P> = {
  name: 'slowmon',
  summary: 'gain-scan monitoring while the temperature changes (new HV at 1e7, scalers, delta-t)',
  quantities: ['dt.rate', GAIN_QUANTITY.check, 'monitor.pressure', ...DARK_RATE_QUANTITIES],
  params,
  positional: ['max_i', 'n_jobs', 'use_fir', 'verbose'],
  listed: false,
  estimateS: (p, m) =>
    60 +
    p.max_i * rounds(m, p.n_jobs) * (15 + 2 * ((p.n_gain_events + p.n_check_events) / 1000 + p.n_runs * 0.1 + p.n_dt_events / 1500 + 10)),
  async run(ctx, p) {
    const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';
    const mon = await startMonitoring(ctx, 'slowmon', 'slowmon');
    const a: MonitorRound = { dir: mon.dir, trigger, modules: mon.todo.length, rows: [], summary: [] };
    await monitorRounds(ctx, mon, { jobs: p.n_jobs, maxI: p.max_i }, async (s, m, i) => {
      const pressureHpa = await s.pressure();
      const temperatureC = await s.temperatureC();
      // calibration on both PMTs, then both new HVs at once (one wait)
      const cal = await calibrate(ctx, p, s, m, i, mon.dir);
      await setHvAndWait(
        ctx,
        s,
        cal.map((c, ch) => ({ ch: ch as PmtChannel, hvVolts: c.hvNew })),
      );
      for (const ch of [0, 1] as PmtChannel[]) await checkPmt(ctx, p, s, m, ch, i, cal[ch], { pressureHpa, temperatureC }, a);
      a.rows.push({
        port: m.port,
        serial: m.serial,
        name: 'monitor.pressure',
        value: pressureHpa,
        detail: { temperatureC, iteration: i },
      });
    });
    return finishMonitoring(ctx, 'slowmon', mon, a.rows, a.summary);
  },
};

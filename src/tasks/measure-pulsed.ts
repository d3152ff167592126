import path from 'node:path';
import { z } from 'zod';
import {
  addDroopEvent,
  doublePulseOf,
  newDroopAccumulator,
  NS_PER_SAMPLE,
  summariseDoublePulse,
  summariseDroop,
  type DoublePulseEvent,
  type DoublePulseSummary,
  trainFit,
  type DroopSummary,
} from '../analysis/double-pulse.js';
import { median } from '../analysis/dark-rate.js';
import { newDataDir } from '../station/data-dirs.js';
import { type ResultInput } from '../records/results.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { rounds } from './rounds.js';
import { hvUpAll, LASER, laserBaseline, readLaserShots, strengthName, withLaserLab } from './laser-lab.js';
import { hvSetPoint, PMTS, pmtSerialOf, type PmtName, type PmtIdentity, pmtFileAttrs, pmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, measurementFailures } from './module-jobs.js';
import { iniChoice, iniInt, iniNumber, iniText } from './values.js';

/**
 * `measure_pulsed_waveform` (alias measure_long_waveform; measure_pulsed_waveform.py,
 * original-system.md §6.7): the laser at 100 Hz fires bursts through the filter wheels at
 * strength0 × strength1; 1024-sample waveforms triggered at the strength's threshold over the
 * baseline (DAC 5000), laser-locked triggers only.
 *
 * - mode double: bursts of 2 pulses; per waveform the two pulses are fitted together
 *   (analysis/double-pulse.ts); the mean separation → `double_pulse.separation`, the ratio of the
 *   mean amplitudes → `double_pulse.peak_ratio`; JSON `DoublePulse_NN`.
 * - mode droop: bursts of `bursts` pulses (100 by default; the original used 100 or 150) filling
 *   the window; the spacing from a line through all the maxima of the train (median over
 *   events; it is also the separation reported), the train cut into 10 segments,
 *   droop = 1 − charge per pulse of segment 9 / segment 2 → `double_pulse.droop` (recorded as
 *   information: the original had no goalpost for it); JSON `BurstPulse_NN` (the original's key
 *   for bursts) with the segment charges.
 * Both write `<PMT>_<mode>_<strength>.hdf5` with the waveforms and the per-event fit.
 */
export const PULSED = {
  samples: 1024,
  /** ADC threshold over baseline by effective strength (the original's table) */
  thresholds: [
    [0.01, 150],
    [0.05, 280],
    [0.1, 600],
    [0.25, 800],
  ] as ReadonlyArray<readonly [number, number]>,
  droopSegments: 10,
  /** a pulse of the burst must rise this fraction of the threshold over the baseline to be found */
  pulseHeightOfThreshold: 0.5,
};

const params = z.object({
  comment: iniText().default('double burst 0.05fw, 100 Hz'),
  strength0: iniNumber({ min: 0, max: 1 }).default(0.05).describe('transmission of filter wheel 0'),
  strength1: iniNumber({ min: 0, max: 1 }).default(1.0).describe('transmission of filter wheel 1'),
  mode: iniChoice(['double', 'droop']).default('double').describe('double (bursts of 2) or droop (long bursts)'),
  /** laser shots per PMT (the original: 5000 events) */
  n_events: iniInt({ min: 10, max: 100_000 }).default(5000).describe('laser shots per PMT'),
  /** pulses per burst in droop mode */
  bursts: iniInt({ min: 20, max: 200 }).default(100).describe('pulses per burst in droop mode'),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
});
type P = z.infer<typeof params>;

export function pulsedThreshold(strength: number): number {
  const hit = PULSED.thresholds.find(([s]) => Math.abs(s - strength) < 1e-6);
  if (!hit)
    throw new Error(
      `measure_pulsed_waveform: no trigger threshold for strength ${strength} (strength0 × strength1); the original knew ${PULSED.thresholds.map(([s, t]) => `${s} → ${t} ADC`).join(', ')}`,
    );
  return hit[1];
}

export interface PmtPulsed extends PmtIdentity {
  hvVolts: number;
  baselineAdc: number;
  thresholdAdc: number;
  laserEvents: number;
  double: DoublePulseSummary;
  droop: DroopSummary | null;
  file: string;
  key: string;
}

/** the laser-locked waveforms of one PMT, their timestamps, and how many triggers were read */
async function readLockedWaveforms(
  ctx: TaskContext,
  p: P,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  thresholdAdc: number,
): Promise<{ kept: Uint16Array[]; ts: number[]; triggers: number }> {
  const n = PULSED.samples;
  const kept: Uint16Array[] = [];
  const ts: number[] = [];
  let triggers = 0;
  await readLaserShots(ctx, s, m, ch, { samples: n, thresholdAdc, shots: p.n_events, laserHz: LASER.laserHz }, (b, gate) => {
    triggers += b.count;
    const locked = gate.mask;
    for (let k = 0; k < b.count; k++) {
      if (!locked[k]) continue;
      kept.push(b.adc.slice(k * n, (k + 1) * n));
      ts.push(b.timestamp[k]);
    }
  });
  return { kept, ts, triggers };
}

type Above = (wf: Uint16Array) => Float64Array;

/** pass 1: waveforms whose two pulses both make a maximum; pass 2: the rest (a second pulse much
 * smaller than the first is only a shoulder) fitted with the spacing of pass 1, so that leaving
 * them out does not push the peak ratio up */
function doublePulseFits(p: P, kept: Uint16Array[], above: Above, minHeight: number): Array<DoublePulseEvent | null> {
  const fits: Array<DoublePulseEvent | null> = kept.map((wf) => doublePulseOf(above(wf), minHeight));
  const first = fits.filter((f): f is DoublePulseEvent => f !== null);
  if (first.length && p.mode === 'double') {
    const hint = median(first.map((f) => f.t2 - f.t1));
    kept.forEach((wf, i) => {
      fits[i] ??= doublePulseOf(above(wf), minHeight, hint);
    });
  }
  return fits;
}

function droopOf(p: P, m: ActiveModule, pmt: PmtName, kept: Uint16Array[], above: Above, minHeight: number) {
  const trains = kept.map((wf) => trainFit(above(wf), minHeight));
  const spacings = trains.filter((t) => t !== null).map((t) => t.spacingSamples);
  if (!spacings.length)
    throw new Error(`${m.serial} (port ${m.port}) ${pmt}: no waveform shows the pulses of the burst: cannot find their spacing`);
  const spacing = median(spacings);
  const trainSpacingNs = spacing * NS_PER_SAMPLE;
  const acc = newDroopAccumulator(p.bursts, spacing, PULSED.droopSegments);
  kept.forEach((wf, i) => {
    const t = trains[i];
    if (t) addDroopEvent(acc, above(wf), t.t0);
  });
  return { droop: summariseDroop(acc), trainSpacingNs };
}

interface PulsedFile {
  file: string;
  m: ActiveModule;
  ch: PmtChannel;
  pmt: PmtName;
  pmtSerial: string;
  hvVolts: number;
  baselineAdc: number;
  thresholdAdc: number;
  overBaseline: number;
  strength: number;
  triggers: number;
  kept: Uint16Array[];
  ts: number[];
  fits: Array<DoublePulseEvent | null>;
  double: DoublePulseSummary;
  droop: DroopSummary | null;
  trainSpacingNs: number;
}

async function writePulsedFile(ctx: TaskContext, p: P, x: PulsedFile): Promise<void> {
  const { m, kept, fits, droop, double } = x;
  const n = PULSED.samples;
  const wf = new Uint16Array(kept.length * n);
  kept.forEach((k, j) => wf.set(k, j * n));
  const col = (get: (f: DoublePulseEvent) => number) => Float64Array.from(fits, (f) => (f ? get(f) : NaN));
  await writeHdf5(x.file, {
    attrs: {
      ...pmtFileAttrs(m, x.pmt, x.pmtSerial),
      channel: x.ch,
      hv_volts: x.hvVolts,
      dac: LASER.dac,
      baseline_adc: x.baselineAdc,
      threshold_adc: x.thresholdAdc,
      threshold_adc_over_baseline: x.overBaseline,
      mode: p.mode,
      pulses_per_burst: p.mode === 'double' ? 2 : p.bursts,
      filter_wheel_0: p.strength0,
      filter_wheel_1: p.strength1,
      strength: x.strength,
      laser_hz: LASER.laserHz,
      triggers: x.triggers,
      separation_ns: droop ? x.trainSpacingNs : double.separationNs,
      ...(droop ? { droop: droop.droop, droop_segments: droop.segments } : { peak_ratio: double.peakRatio }),
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      waveforms_adc: { data: wf, shape: [kept.length, n], attrs: { units: 'ADC counts, laser-locked triggers only' } },
      timestamp_ticks: { data: Float64Array.from(x.ts), attrs: { units: '240 MHz FPGA clock ticks' } },
      pulse1_time_samples: { data: col((f) => f.t1), attrs: { units: 'samples from the window start (fit), NaN: no two pulses' } },
      pulse2_time_samples: { data: col((f) => f.t2), attrs: { units: 'samples from the window start (fit)' } },
      pulse1_amplitude_adc: { data: col((f) => f.a1), attrs: { units: 'ADC counts above baseline (fit)' } },
      pulse2_amplitude_adc: { data: col((f) => f.a2), attrs: { units: 'ADC counts above baseline (fit)' } },
      valley_adc: { data: col((f) => f.valleyAdc), attrs: { units: 'ADC counts above baseline, lowest sample between the pulses' } },
      ...(droop
        ? {
            droop_relative_charge: {
              data: Float64Array.from(droop.relativeCharge),
              attrs: { units: 'charge per pulse of each segment / segment 2' },
            },
          }
        : {}),
    },
  });
}

async function measurePmt(
  ctx: TaskContext,
  p: P,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  baselineAdc: number,
  strength: number,
  dir: string,
): Promise<Omit<PmtPulsed, 'key'>> {
  const pmt = PMTS[ch];
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  const overBaseline = pulsedThreshold(strength);
  const thresholdAdc = Math.round(baselineAdc + overBaseline);
  const hvVolts = (await s.hvReadback(ch)).hvVolts || (await hvSetPoint(ctx.ws, m.jsonFile, pmt));
  const n = PULSED.samples;
  const { kept, ts, triggers } = await readLockedWaveforms(ctx, p, s, m, ch, thresholdAdc);
  const w = new Float64Array(n);
  const above = (wf: Uint16Array) => {
    for (let i = 0; i < n; i++) w[i] = wf[i] - baselineAdc;
    return w;
  };
  const minHeight = PULSED.pulseHeightOfThreshold * overBaseline;
  const fits = doublePulseFits(p, kept, above, minHeight);
  const ok = fits.filter((f): f is DoublePulseEvent => f !== null);
  const double = summariseDoublePulse(kept.length, ok);
  let droop: DroopSummary | null = null;
  let trainSpacingNs = NaN;
  if (p.mode === 'droop') ({ droop, trainSpacingNs } = droopOf(p, m, pmt, kept, above, minHeight));
  const file = path.join(dir, `${pmtSerial}_${p.mode}_${strengthName(strength)}.hdf5`);
  await writePulsedFile(ctx, p, {
    file,
    m,
    ch,
    pmt,
    pmtSerial,
    hvVolts,
    baselineAdc,
    thresholdAdc,
    overBaseline,
    strength,
    triggers,
    kept,
    ts,
    fits,
    double,
    droop,
    trainSpacingNs,
  });
  // in a long burst the first two pulses are pulled by the third: the separation is the train's spacing
  const summary = droop ? { ...double, separationNs: trainSpacingNs, separationMedianNs: trainSpacingNs, separationStdNs: NaN } : double;
  return {
    ...pmtIdentity(m, pmt, pmtSerial),
    hvVolts,
    baselineAdc,
    thresholdAdc,
    laserEvents: kept.length,
    double: summary,
    droop,
    file,
  };
}

async function addPulsedEntry(
  ctx: TaskContext,
  p: P,
  dir: string,
  strength: number,
  m: ActiveModule,
  x: Omit<PmtPulsed, 'key'>,
): Promise<string> {
  return ctx.record.entry(
    m.jsonFile,
    p.mode === 'double' ? 'DoublePulse' : 'BurstPulse',
    {
      Folder: dir,
      Comment: p.comment,
      Filter: [p.strength0, p.strength1],
      Strength: strength,
      Mode: p.mode,
      Bursts: p.mode === 'double' ? 2 : p.bursts,
      BurstFrequency: LASER.laserHz,
      Events: p.n_events,
      HV: x.hvVolts,
      DacValue: LASER.dac,
      Baseline: x.baselineAdc,
      Threshold: x.thresholdAdc,
      LaserEvents: x.laserEvents,
      FittedEvents: x.double.fitted,
      SeparationNs: x.double.separationNs,
      SeparationStdNs: x.double.separationStdNs,
      ...(x.droop ? {} : { PeakRatio: x.double.peakRatio, PeakToValley: x.double.peakToValley }),
      ...(x.droop ? { Droop: x.droop.droop, DroopSegmentCharge: x.droop.relativeCharge } : {}),
      Filename: x.file,
      TaskId: ctx.task.id,
    },
    x.pmt,
  );
}

function pulsedRows(p: P, strength: number, out: PmtPulsed[]): ResultInput[] {
  const rows: ResultInput[] = [];
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  for (const x of out) {
    const base = { port: x.port, serial: x.serial, pmt: x.pmt };
    const detail = { fitted: x.double.fitted, laserEvents: x.laserEvents, strength, mode: p.mode };
    rows.push({
      ...base,
      name: 'double_pulse.separation',
      value: num(x.double.separationNs),
      detail: { ...detail, stdNs: x.double.separationStdNs },
    });
    rows.push({
      ...base,
      name: 'double_pulse.peak_ratio',
      value: num(x.double.peakRatio),
      detail: { ...detail, peakToValley: x.double.peakToValley },
    });
    if (x.droop)
      rows.push({
        ...base,
        name: 'double_pulse.droop',
        value: num(x.droop.droop),
        detail: { ...detail, segments: x.droop.relativeCharge },
      });
  }
  return rows;
}

function pulsedSummary(x: PmtPulsed) {
  return {
    port: x.port,
    serial: x.serial,
    pmt: x.pmt,
    pmtSerial: x.pmtSerial,
    hvVolts: x.hvVolts,
    thresholdAdc: x.thresholdAdc,
    laserEvents: x.laserEvents,
    fitted: x.double.fitted,
    separationNs: x.double.separationNs,
    separationStdNs: x.double.separationStdNs,
    peakRatio: x.double.peakRatio,
    peakToValley: x.double.peakToValley,
    droop: x.droop?.droop ?? null,
    droopSegments: x.droop?.relativeCharge ?? null,
    file: x.file,
    key: x.key,
  };
}

export const kind = {
  name: 'measure_pulsed_waveform',
  aliases: ['measure_long_waveform'],
  summary: 'double pulse (or droop) with 1024-sample waveforms of laser bursts, 5000 shots per PMT',
  quantities: ['double_pulse.separation', 'double_pulse.peak_ratio', 'double_pulse.droop'],
  params,
  positional: ['comment', 'strength0', 'strength1', 'n_jobs', 'mode'],
  estimateS: (p, m) => LASER.hvRampS + 30 + rounds(m, p.n_jobs) * 2 * (p.n_events / LASER.laserHz + 5),
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_pulsed_waveform: the run has no active modules');
    const strength = p.strength0 * p.strength1;
    pulsedThreshold(strength);
    const log = measurementFailures(ctx, 'pulsed', 'measure_pulsed_waveform', { once: true });
    const { failures, fail } = log;
    const dir = newDataDir(ws.home.dataDir, p.mode === 'double' ? 'double_pulse' : 'burst_pulse', ws.clock.now());
    const pmts: Array<Omit<PmtPulsed, 'key'>> = [];
    let done = 0;

    await withLaserLab(ctx, async (lab) => {
      await hvUpAll(ctx, modules, fail);
      await lab.setFilters(p.strength0, p.strength1);
      const baselines = new Map<number, number[]>();
      const todo = () => log.without(modules);
      // baselines with the laser off, then the bursts
      await eachModule(ctx, todo(), { jobs: p.n_jobs, log }, async (m) => {
        await ctx.lab.module(m.port, async (s) => {
          baselines.set(m.port, [await laserBaseline(s, 0, m), await laserBaseline(s, 1, m)]);
        });
      });
      await lab.fire(LASER.laserHz, p.mode === 'double' ? 2 : p.bursts);
      const total = todo().length * 2;
      await eachModule(ctx, todo(), { jobs: p.n_jobs, log }, async (m) => {
        await ctx.lab.module(m.port, async (s) => {
          for (const ch of [0, 1] as const) {
            const r = await measurePmt(ctx, p, s, m, ch, baselines.get(m.port)![ch], strength, dir);
            pmts.push(r);
            done++;
            ctx.progress(
              done / total,
              `${m.serial} ${r.pmt}: separation ${r.double.separationNs.toFixed(2)} ns, peak ratio ${r.double.peakRatio.toFixed(3)}` +
                (r.droop ? `, droop ${(100 * r.droop.droop).toFixed(1)}%` : '') +
                ` (${r.double.fitted}/${r.laserEvents} waveforms)`,
            );
          }
        });
      });
    });

    const measured = pmts.filter((x) => !failures.some((f) => f.port === x.port));
    if (!measured.length) throw new Error(`measure_pulsed_waveform measured no module: ${log.summary()}`);
    measured.sort((a, b) => a.port - b.port || PMTS.indexOf(a.pmt) - PMTS.indexOf(b.pmt));
    const out: PmtPulsed[] = [];
    for (const x of measured) {
      const m = modules.find((y) => y.port === x.port)!;
      const key = await addPulsedEntry(ctx, p, dir, strength, m, x);
      out.push({ ...x, key });
    }
    const rows = pulsedRows(p, strength, out);
    await ctx.record.results('measure_pulsed_waveform', dir, rows);
    return {
      folder: dir,
      mode: p.mode,
      strength,
      events: p.n_events,
      pmts: out.map(pulsedSummary),
      failures,
    };
  },
} satisfies TaskKind<P>;

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { fitSpe, type SpeFit } from '../analysis/gaussian-fit.js';
import { lowRateAction, nextScanHv, scanStartHv, type GainPoint, type PowerLawFit, type ScanDoneReason } from '../analysis/gain.js';
import { newDataDir } from '../station/data-dirs.js';
import { nextKey } from '../records/entries.js';
import { type DocStore } from '../records/json-docs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { rounds } from './rounds.js';
import { spePeakHeightAt1e7 } from '../analysis/gain-offline.js';
import {
  acquire,
  GAIN,
  setHvAndWait,
  speConverged,
  spePoint,
  writePoint,
  type SpePoint,
  GAIN_QUANTITIES,
  GAIN_QUANTITY,
} from './gain-acquire.js';
import { runGainCheck } from './gain-check.js';
import { PMTS, pmtFields, pmtSection, pmtSerialOf, where, type PmtName, type PmtIdentity, pmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, failureLog, measuredModules, type ModuleFailure } from './module-jobs.js';
import { iniBool, iniChoice, iniInt, iniText } from './values.js';
import { resultRow } from './result-rows.js';

export { GAIN } from './gain-acquire.js';

/** the original's `config` of a GainMeasurement entry */
export const configName = (c: GainParams['configuration']) => (c === 'chargestamp' ? 'stamp' : 'waveform');

/**
 * `measure_gain` (measure_gain_online.py, original-system.md §6.3): the online HV scan of every
 * PMT to gain 1e7. At each HV: the baseline from software-triggered waveforms, a threshold trigger
 * at baseline + 25 ADC, `n_events` waveforms of 128 samples, the trigger-rate check (< 200 Hz: HV
 * too low), the charges' 80-bin histogram and its Gaussian SPE fit; the next HV from
 * analysis/gain.ts until the scan converges. Both PMTs of a module are scanned together (their
 * HVs ramp at the same time, their waveforms are read one channel after the other); one module per
 * wire pair at a time, n_jobs wire pairs in parallel. The HV is left at the found V(1e7).
 */
const params = z.object({
  comment: iniText().default(''),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  resume: iniBool(false).describe('continue the latest gain measurement: skip modules already measured in its folder'),
  mode: iniChoice(['scan', 'check']).default('scan'),
  n_checks: iniInt({ min: 1 }).default(1),
  configuration: iniChoice(['waveform', 'chargestamp'])
    .default('waveform')
    .describe('SPE charges from waveforms, or from the FPGA charge stamps'),
  test: iniBool(false).describe('measure only the first module (by port), as the original test mode'),
  /** waveforms per HV point (the original's Events: 10000) */
  n_events: iniInt({ min: 100, max: 1_000_000 }).default(10000).describe('waveforms per HV point'),
});
export type GainParams = z.infer<typeof params>;
type P = GainParams;

export interface PmtGainResult extends PmtIdentity {
  channel: PmtChannel;
  reason: ScanDoneReason;
  hv1e7GainVolts: number;
  hv1e7GainErrorVolts: number;
  fit: PowerLawFit;
  spePeakHeightVolts: number;
  spePeakHeightMethod: 'amplitude-fit' | 'charge';
  baselineAdc: number;
  points: SpePoint[];
  warnings: string[];
  key: string;
}

interface ScanState {
  ch: PmtChannel;
  pmt: PmtName;
  pmtSerial: string;
  startHvVolts: number;
  hvVolts: number;
  points: SpePoint[];
  lowRateHvs: number[];
  done: { reason: ScanDoneReason; hvAt1e7Volts: number; fit: PowerLawFit } | null;
  error: string | null;
  warnings: string[];
}

/** the scan state of both PMTs of a module, each starting at its stored V(1e7) (or the default) */
async function initScans(ctx: TaskContext, m: ActiveModule): Promise<ScanState[]> {
  const scans: ScanState[] = [];
  for (const [ch, pmt] of PMTS.entries()) {
    const stored = Number((await pmtFields(ctx.ws, m.jsonFile, pmt)).HV1e7Gain ?? -1);
    const start = scanStartHv(stored);
    scans.push({
      ch: ch as PmtChannel,
      pmt,
      pmtSerial: await pmtSerialOf(ctx.ws, m, pmt),
      startHvVolts: start,
      hvVolts: start,
      points: [],
      lowRateHvs: [],
      done: null,
      error: null,
      warnings: [],
    });
  }
  return scans;
}

/** one HV point of one PMT: the rate check, the waveforms, the SPE fit, the file, the next HV */
async function scanPoint(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  s: IcebootSession,
  x: ScanState,
  dir: string,
  onPoint: (note: string) => void,
): Promise<void> {
  const first = await acquire(s, x.ch, m, p.n_events, ctx, true, p.configuration);
  const act = lowRateAction(first.rateHz, x.hvVolts, x.lowRateHvs);
  if (act.action === 'give-up') {
    x.error = `${where(m, x.pmt)}: ${act.reason}`;
    return;
  }
  if (act.action === 'raise') {
    x.lowRateHvs.push(x.hvVolts);
    const msg = `${where(m, x.pmt)}: trigger rate ${first.rateHz.toFixed(0)} Hz at ${x.hvVolts} V is below 200 Hz (HV too low); raising to ${act.hvVolts} V`;
    x.warnings.push(msg);
    ctx.emit({
      level: 'warn',
      kind: 'measure.gain.low-rate',
      message: `measure_gain: ${msg}`,
      audience: 'log',
      data: { port: m.port, pmt: x.pmt },
    });
    x.hvVolts = act.hvVolts;
    if (!x.points.length) x.startHvVolts = act.hvVolts;
    return;
  }
  const a = first.charges.length >= p.n_events ? first : await acquire(s, x.ch, m, p.n_events, ctx, false, p.configuration);
  let spe: SpeFit;
  try {
    spe = fitSpe(a.charges);
  } catch (e) {
    x.error = `${where(m, x.pmt)}: SPE fit at ${x.hvVolts} V failed: ${(e as Error).message}`;
    return;
  }
  const file = path.join(dir, `${x.pmtSerial}_${x.hvVolts}V.hdf5`);
  await writePoint(file, a, { m, pmt: x.pmt, pmtSerial: x.pmtSerial, hvVolts: x.hvVolts, timeMs: ctx.ws.clock.now() });
  if (!speConverged(spe)) {
    x.error = `${where(m, x.pmt)}: the SPE fit at ${x.hvVolts} V did not converge (peak ${spe.peakPc.toFixed(3)} pC, median ${spe.medianPc.toFixed(3)} pC)`;
    return;
  }
  x.points.push(spePoint(x.hvVolts, a, spe, file));
  onPoint(`${where(m, x.pmt)}: gain ${(spe.gain / 1e7).toFixed(3)}e7 at ${x.hvVolts} V (${a.rateHz.toFixed(0)} Hz)`);
  const gp: GainPoint[] = x.points.map((q) => ({ hvVolts: q.hvVolts, gain: q.gain, gainError: q.gainError }));
  const step = nextScanHv(gp, { startHvVolts: x.startHvVolts });
  if (step.done) x.done = { reason: step.reason, hvAt1e7Volts: step.hvAt1e7Volts, fit: step.fit };
  else x.hvVolts = step.hvVolts;
}

/** leaves the HV at the found V(1e7) and records each finished scan */
async function finishScans(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  s: IcebootSession,
  dir: string,
  scans: ScanState[],
): Promise<{ results: PmtGainResult[]; errors: string[] }> {
  const out: PmtGainResult[] = [];
  const errors: string[] = [];
  for (const x of scans) {
    if (x.error || !x.done) {
      errors.push(x.error ?? `${where(m, x.pmt)}: the scan ended without a result`);
      continue;
    }
    const hv = x.done.hvAt1e7Volts;
    if (!(hv >= GAIN.hv1e7RangeVolts[0] && hv <= GAIN.hv1e7RangeVolts[1])) {
      errors.push(
        `${where(m, x.pmt)}: V(1e7) = ${hv.toFixed(1)} V is outside ${GAIN.hv1e7RangeVolts.join('-')} V (should be around 1500 V)`,
      );
      continue;
    }
    await s.setHV(x.ch, Math.round(hv));
    out.push(await record(ctx, p, m, dir, x));
  }
  if (errors.length && !out.length) throw new Error(errors.join('; '));
  return { results: out, errors };
}

async function measureModule(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  dir: string,
  onPoint: (note: string) => void,
): Promise<{ results: PmtGainResult[]; errors: string[] }> {
  return ctx.lab.module(m.port, async (s) => {
    const scans = await initScans(ctx, m);
    const active = () => scans.filter((x) => !x.done && !x.error);
    while (active().length) {
      ctx.signal.throwIfAborted();
      const now = active();
      await setHvAndWait(ctx, s, now);
      for (const x of now) await scanPoint(ctx, p, m, s, x, dir, onPoint);
    }

    // leave the HV at the found V(1e7)
    return finishScans(ctx, p, m, s, dir, scans);
  });
}

async function record(ctx: TaskContext, p: P, m: ActiveModule, dir: string, x: ScanState): Promise<PmtGainResult> {
  const done = x.done!;
  const hv = done.hvAt1e7Volts;
  const peak = spePeakHeightAt1e7(x.points, GAIN.pulseAreaSamplesPerPeak);
  const warnings = [...x.warnings];
  if (!(peak.volts >= GAIN.spePeakHeightRangeVolts[0] && peak.volts <= GAIN.spePeakHeightRangeVolts[1]))
    warnings.push(`SPE peak height ${(peak.volts * 1e3).toFixed(2)} mV is outside 1-10 mV (should be around 3 mV)`);
  const last = x.points[x.points.length - 1];
  // the entry and the PMT's new set point in one change of the document
  const entry = {
    Folder: dir,
    Comment: p.comment,
    mode: 'scan',
    config: configName(p.configuration),
    Constants: { Samples: GAIN.samples, Events: p.n_events, DacValue: GAIN.dac, Threshold: GAIN.thresholdOverBaselineAdc },
    BaselineFilename: 'None',
    Baseline: last.baselineAdc,
    GainFitNorm: done.fit.normA,
    GainFitNormError: done.fit.normAError,
    GainFitExp: done.fit.exponent,
    GainFitExpError: done.fit.exponentError,
    HV1e7Gain: hv,
    HV1e7GainError: done.fit.hvAt1e7ErrorVolts,
    SPEPeakHeight: peak.volts,
    SPEPeakHeightMethod: peak.method,
    ScanEnd: done.reason,
    points: x.points.map((q) => ({ hv: q.hvVolts, gain: q.gain, gainError: q.gainError, rateHz: q.rateHz, file: path.basename(q.file) })),
    TaskId: ctx.task.id,
  };
  const key = await ctx.record.update(m.jsonFile, (doc) => {
    const sec = (doc[x.pmt] ?? {}) as Record<string, unknown>;
    const k = nextKey(sec, 'GainMeasurement');
    sec[k] = entry;
    sec.HV1e7Gain = hv;
    sec.SPEPeakHeight = peak.volts;
    doc[x.pmt] = sec;
    return k;
  });
  for (const w of warnings)
    if (!x.warnings.includes(w))
      ctx.emit({
        level: 'warn',
        kind: 'measure.gain.spe-height',
        message: `measure_gain: ${where(m, x.pmt)}: ${w}`,
        audience: 'channel',
        data: { port: m.port },
      });
  return {
    ...pmtIdentity(m, x.pmt, x.pmtSerial),
    channel: x.ch,
    reason: done.reason,
    hv1e7GainVolts: hv,
    hv1e7GainErrorVolts: done.fit.hvAt1e7ErrorVolts,
    fit: done.fit,
    spePeakHeightVolts: peak.volts,
    spePeakHeightMethod: peak.method,
    baselineAdc: last.baselineAdc,
    points: x.points,
    warnings,
    key,
  };
}

/** The folder of the latest GainMeasurement of a PMT, and whether it has a result. */
async function latestEntry(ws: DocStore, jsonFile: string, pmt: PmtName): Promise<{ folder: string; done: boolean } | null> {
  const sec = await pmtSection(ws, jsonFile, pmt);
  const keys = Object.keys(sec)
    .filter((k) => /^GainMeasurement_\d+$/.test(k) && (sec[k] as { Superseded?: unknown }).Superseded === undefined)
    .sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
  if (!keys.length) return null;
  const e = sec[keys[keys.length - 1]] as Record<string, unknown>;
  return { folder: typeof e.Folder === 'string' ? e.Folder : '', done: Number(e.HV1e7Gain) > 0 };
}

/** resume: the folder of the latest measurement, and the modules whose two PMTs have no result there yet */
async function resumeFrom(ws: DocStore, modules: ActiveModule[]): Promise<{ dir: string | null; modules: ActiveModule[] }> {
  const latest = await latestEntry(ws, modules[0].jsonFile, 'LowerPmt');
  if (!(latest && latest.folder && fs.existsSync(latest.folder))) return { dir: null, modules };
  const dir = latest.folder;
  const finished = async (m: ActiveModule) => {
    for (const pmt of PMTS) {
      const e = await latestEntry(ws, m.jsonFile, pmt);
      if (!(e && e.folder === dir && e.done)) return false;
    }
    return true;
  };
  const left: ActiveModule[] = [];
  for (const m of modules) if (!(await finished(m))) left.push(m);
  return { dir, modules: left };
}

async function recordGain(ctx: TaskContext, folder: string, pmts: PmtGainResult[]): Promise<void> {
  await ctx.record.results(
    'measure_gain',
    folder,
    pmts.flatMap((x) => [
      resultRow(x, GAIN_QUANTITY.hv1e7, {
        value: x.hv1e7GainVolts,
        detail: { error: x.hv1e7GainErrorVolts, points: x.points.length, end: x.reason },
      }),
      resultRow(x, GAIN_QUANTITY.speHeight, { value: x.spePeakHeightVolts * 1e3, detail: { method: x.spePeakHeightMethod } }),
      resultRow(x, GAIN_QUANTITY.fitExponent, { value: x.fit.exponent, detail: { error: x.fit.exponentError, normA: x.fit.normA } }),
    ]),
  );
}

function gainSummary(p: P, folder: string, pmts: PmtGainResult[], failures: ModuleFailure[]) {
  return {
    folder,
    mode: 'scan' as const,
    events: p.n_events,
    pmts: pmts.map((x) => ({
      port: x.port,
      serial: x.serial,
      pmt: x.pmt,
      pmtSerial: x.pmtSerial,
      hv1e7GainVolts: x.hv1e7GainVolts,
      hv1e7GainErrorVolts: x.hv1e7GainErrorVolts,
      gainFitNorm: x.fit.normA,
      gainFitExp: x.fit.exponent,
      spePeakHeightVolts: x.spePeakHeightVolts,
      spePeakHeightMethod: x.spePeakHeightMethod,
      baselineAdc: x.baselineAdc,
      reason: x.reason,
      points: x.points.map((q) => ({ hvVolts: q.hvVolts, gain: q.gain, gainError: q.gainError, rateHz: q.rateHz })),
      warnings: x.warnings,
      key: x.key,
    })),
    failures,
  };
}

export const kind = {
  name: 'measure_gain',
  summary: 'gain scan to the HV at gain 1e7 (or a gain check at the set HV)',
  quantities: GAIN_QUANTITIES,
  params,
  positional: ['comment', 'n_jobs', 'resume', 'mode', 'n_checks', 'configuration', 'test'],
  // about 6-8 points per PMT, both PMTs of a module together; a point is n_events at ~1 kHz plus the ramp
  // a check is one point per PMT and check at the set HV
  estimateS: (p, m) =>
    GAIN.hvRampFromOffS +
    rounds(p.test ? 1 : m, p.n_jobs) * (p.mode === 'scan' ? 7 : p.n_checks) * (GAIN.hvStepWaitS + 2 * (p.n_events / 1000 + 5)),
  async run(ctx, p) {
    const ws = ctx.ws;
    let modules = measuredModules(ctx, 'measure_gain', p.test);
    if (p.mode === 'check') return runGainCheck(ctx, p, modules);

    // resume: the folder of the latest measurement, skipping modules whose two PMTs have a result there
    let dir: string | null = null;
    if (p.resume) ({ dir, modules } = await resumeFrom(ws, modules));
    const folder = dir ?? newDataDir(ws.home.dataDir, 'gain_online', ws.clock.now());

    const log = failureLog(ctx, { kind: 'measure.gain.module-failed', task: 'measure_gain' });
    const { failures, fail } = log;
    const expectedPoints = Math.max(1, modules.length * 2 * 7);
    let nPoints = 0;
    const pmts: PmtGainResult[] = [];
    await eachModule(ctx, modules, { jobs: p.n_jobs, log }, async (m) => {
      const { results, errors } = await measureModule(ctx, p, m, folder, (note) => {
        nPoints++;
        ctx.progress(Math.min(0.99, nPoints / expectedPoints), note);
      });
      pmts.push(...results);
      for (const e of errors) fail(m, e);
      for (const x of results)
        ctx.progress(
          Math.min(0.99, nPoints / expectedPoints),
          `${x.serial} ${x.pmt}: V(1e7) = ${x.hv1e7GainVolts.toFixed(1)} ± ${x.hv1e7GainErrorVolts.toFixed(1)} V after ${x.points.length} points (${x.reason})`,
        );
    });

    if (!pmts.length && modules.length) throw new Error(`measure_gain measured no PMT: ${log.summary()}`);
    pmts.sort((a, b) => a.port - b.port || a.channel - b.channel);
    await recordGain(ctx, folder, pmts);
    ctx.progress(1, `${pmts.length} PMTs scanned`);
    return gainSummary(p, folder, pmts, failures);
  },
} satisfies TaskKind<P>;

import path from 'node:path';
import { fitSpe } from '../analysis/gaussian-fit.js';
import { newDataDir } from '../station/data-dirs.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import {
  acquire,
  GAIN,
  setHvAndWait,
  speConverged,
  spePoint,
  writePoint,
  type GainConfiguration,
  type SpePoint,
  GAIN_QUANTITY,
} from './gain-acquire.js';
import { configName, type GainParams } from './measure-gain.js';
import { hvSetPoint, PMTS, pmtSerialOf, where, type PmtName, type PmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { resultRow } from './result-rows.js';

/**
 * Acquires `events` SPE waveforms on one channel at its present HV (as one point of the gain
 * scan), fits the SPE charge and writes the point's HDF5 to `file`. Throws, naming the PMT, when
 * the fit does not converge.
 */
export async function speAtHv(
  ctx: Pick<TaskContext, 'signal' | 'ws'>,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  hvVolts: number,
  events: number,
  file: string,
  configuration: GainConfiguration = 'waveform',
): Promise<SpePoint> {
  const pmt = PMTS[ch];
  const a = await acquire(s, ch, m, events, ctx, false, configuration);
  const spe = fitSpe(a.charges);
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  await writePoint(file, a, { m, pmt, pmtSerial, channel: ch, hvVolts, timeMs: ctx.ws.clock.now() });
  if (!speConverged(spe))
    throw new Error(
      `${where(m, pmt)}: the SPE fit at ${hvVolts.toFixed(0)} V did not converge (peak ${spe.peakPc.toFixed(3)} pC, median ${spe.medianPc.toFixed(3)} pC)`,
    );
  return spePoint(hvVolts, a, spe, file);
}

interface CheckRow extends PmtIdentity {
  channel: PmtChannel;
  hvVolts: number;
  checks: SpePoint[];
  key: string;
}

/** the GainMeasurement entry (mode "check") of one PMT */
async function addCheckEntry(
  ctx: TaskContext,
  p: GainParams,
  m: ActiveModule,
  folder: string,
  pmt: PmtName,
  hvVolts: number,
  checks: SpePoint[],
): Promise<string> {
  return ctx.record.entry(
    m.jsonFile,
    'GainMeasurement',
    {
      Folder: folder,
      Comment: p.comment,
      mode: 'check',
      config: configName(p.configuration),
      Constants: { Samples: GAIN.samples, Events: p.n_events, DacValue: GAIN.dac, Threshold: GAIN.thresholdOverBaselineAdc },
      HV: hvVolts,
      n_checks: p.n_checks,
      Gain: checks.map((c) => c.gain),
      GainError: checks.map((c) => c.gainError),
      SPEPeakCharge: checks.map((c) => c.peakPc),
      Baseline: checks[checks.length - 1].baselineAdc,
      points: checks.map((c) => ({ hv: c.hvVolts, gain: c.gain, rateHz: c.rateHz, file: path.basename(c.file) })),
      TaskId: ctx.task.id,
    },
    pmt,
  );
}

async function recordChecks(ctx: TaskContext, folder: string, rows: CheckRow[]): Promise<void> {
  await ctx.record.results(
    'measure_gain',
    folder,
    rows.flatMap((r) =>
      r.checks.map((c, i) =>
        resultRow(r, GAIN_QUANTITY.check, { value: c.gain, detail: { check: i, hvVolts: c.hvVolts, peakPc: c.peakPc, rateHz: c.rateHz } }),
      ),
    ),
  );
}

/**
 * `measure_gain` mode `check` (measure_gain_online.py with mode='check'): at the PMT's set HV
 * (HV1e7Gain), `n_checks` points acquired like one point of the scan; each gives the gain there.
 * One GainMeasurement_NN entry per PMT with mode "check"; the result `gain.check` per check.
 */
export async function runGainCheck(ctx: TaskContext, p: GainParams, modules: ActiveModule[]) {
  const ws = ctx.ws;
  const folder = newDataDir(ws.home.dataDir, 'gain_online', ws.clock.now());
  const failures: Array<{ port: number; serial: string; error: string }> = [];
  const rows: CheckRow[] = [];
  const total = modules.length * 2 * p.n_checks;
  let done = 0;
  await runLanes(wirePairLanes(modules), p.n_jobs, async (m) => {
    ctx.signal.throwIfAborted();
    try {
      await ctx.lab.module(m.port, async (s) => {
        const hv = (await Promise.all(PMTS.map((pmt) => hvSetPoint(ctx.ws, m.jsonFile, pmt)))).map(Math.round);
        await setHvAndWait(
          ctx,
          s,
          [0, 1].map((ch) => ({ ch: ch as PmtChannel, hvVolts: hv[ch] })),
        );
        for (const ch of [0, 1] as const) {
          const pmt = PMTS[ch];
          const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
          const checks: SpePoint[] = [];
          try {
            for (let i = 0; i < p.n_checks; i++) {
              const file = path.join(folder, `${pmtSerial}_${hv[ch]}V_check${i}.hdf5`);
              checks.push(await speAtHv(ctx, s, m, ch, hv[ch], p.n_events, file, p.configuration));
              done++;
              ctx.progress(Math.min(0.99, done / total), `${where(m, pmt)}: gain ${(checks[i].gain / 1e7).toFixed(3)}e7 at ${hv[ch]} V`);
            }
          } catch (e) {
            rethrowUnlessModuleFault(ctx, e);
            failures.push({ port: m.port, serial: m.serial, error: (e as Error).message });
            if (!checks.length) continue;
          }
          const key = await addCheckEntry(ctx, p, m, folder, pmt, hv[ch], checks);
          rows.push({ port: m.port, serial: m.serial, pmt, pmtSerial, channel: ch, hvVolts: hv[ch], checks, key });
        }
      });
    } catch (e) {
      rethrowUnlessModuleFault(ctx, e);
      failures.push({ port: m.port, serial: m.serial, error: (e as Error).message });
    }
  });
  for (const f of failures)
    ctx.emit({
      level: 'warn',
      kind: 'measure.gain.module-failed',
      message: `measure_gain (check): ${f.serial} (port ${f.port}): ${f.error}`,
      audience: 'channel',
      data: { port: f.port },
    });
  if (!rows.length) throw new Error(`measure_gain (check) measured no PMT: ${failures.map((f) => `${f.serial}: ${f.error}`).join('; ')}`);
  rows.sort((a, b) => a.port - b.port || a.channel - b.channel);
  await recordChecks(ctx, folder, rows);
  ctx.progress(1, `${rows.length} PMTs checked`);
  return {
    folder,
    mode: 'check' as const,
    events: p.n_events,
    pmts: rows.map((r) => ({
      port: r.port,
      serial: r.serial,
      pmt: r.pmt,
      pmtSerial: r.pmtSerial,
      hvVolts: r.hvVolts,
      gains: r.checks.map((c) => c.gain),
      peakPc: r.checks.map((c) => c.peakPc),
      key: r.key,
    })),
    failures,
  };
}

import path from 'node:path';
import { z } from 'zod';
import { meanStd } from '../analysis/monitoring.js';
import { newDataDir } from '../station/data-dirs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { rounds } from './rounds.js';
import { monitorFailureLog, HV_RAMP_S, hvToSetPoints } from './monitor-common.js';
import { hvSetPoint, PMTS, pmtSerialOf, type PmtIdentity, pmtFileAttrs } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule } from './module-jobs.js';
import { iniInt, iniNumber } from './values.js';
import { recordResultRows } from './result-rows.js';

/**
 * `measure_hv` (utils/hv_check.py, "hvTest", original-system.md §6.12): each PMT's HV swept
 * across HV1e7Gain ± 120 V in 1 V steps, with the set and read-back voltage, the HV current and
 * the mainboard temperature read 20 times per step. The worst readback std at one step is the
 * result (goalpost large-hv-std-readback ≤ 1 V). Both PMTs of a module sweep together; the HV
 * goes back to the set point at the end.
 */
const params = z.object({
  span_volts: iniNumber({ min: 0, max: 500, unit: 'V' }).default(120).describe('sweep HV(1e7) ± this'),
  step_volts: iniNumber({ min: 0.5, max: 100, unit: 'V' }).default(1).describe('step of the sweep'),
  n_reads: iniInt({ min: 2, max: 1000 }).default(20).describe('readbacks per step'),
  /** lab seconds after each step before reading (the supply ramps 1 V in milliseconds) */
  step_wait_s: iniNumber({ min: 0, max: 60, unit: 's' }).default(1),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
});
type P = z.infer<typeof params>;

interface Sweep extends PmtIdentity {
  setPointV: number;
  worstStdV: number;
  worstAtV: number;
  maxDeviationV: number;
  file: string;
}

/** steps both PMTs' HV through the span around their set points, reading the slow ADCs at each step */
async function sweepSteps(
  ctx: TaskContext,
  p: P,
  s: IcebootSession,
  centre: number[],
): Promise<{ nSteps: number; set: Float64Array[]; v: Float64Array[]; i: Float64Array[]; t: Float64Array }> {
  const nSteps = Math.floor((2 * p.span_volts) / p.step_volts) + 1;
  const set = [new Float64Array(nSteps), new Float64Array(nSteps)];
  const v = [new Float64Array(nSteps * p.n_reads), new Float64Array(nSteps * p.n_reads)];
  const i = [new Float64Array(nSteps * p.n_reads), new Float64Array(nSteps * p.n_reads)];
  const t = new Float64Array(nSteps * p.n_reads);
  for (let k = 0; k < nSteps; k++) {
    ctx.signal.throwIfAborted();
    for (const ch of [0, 1] as PmtChannel[]) {
      set[ch][k] = Math.round(centre[ch] - p.span_volts + k * p.step_volts);
      await s.setHV(ch, set[ch][k]);
    }
    // the first step moves up to span volts: the full ramp wait
    await ctx.ws.clock.sleep((k === 0 ? HV_RAMP_S : p.step_wait_s) * 1000, ctx.signal);
    for (let r = 0; r < p.n_reads; r++) {
      const all = await s.readAllSloAdc();
      const at = k * p.n_reads + r;
      t[at] = all[7].value;
      for (const ch of [0, 1] as PmtChannel[]) {
        v[ch][at] = all[8 + 2 * ch].value;
        i[ch][at] = all[9 + 2 * ch].value;
      }
    }
  }
  return { nSteps, set, v, i, t };
}

async function sweepModule(ctx: TaskContext, p: P, m: ActiveModule, dir: string): Promise<Sweep[]> {
  return ctx.lab.module(m.port, async (s: IcebootSession) => {
    const centre = (await Promise.all(PMTS.map((pmt) => hvSetPoint(ctx.ws, m.jsonFile, pmt)))).map(Math.round);
    const { nSteps, set, v, i, t } = await sweepSteps(ctx, p, s, centre);
    for (const ch of [0, 1] as PmtChannel[]) await s.setHV(ch, centre[ch]);
    const out: Sweep[] = [];
    for (const ch of [0, 1] as PmtChannel[]) {
      const pmt = PMTS[ch];
      const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
      let worstStdV = 0;
      let worstAtV = NaN;
      let maxDeviationV = 0;
      for (let k = 0; k < nSteps; k++) {
        const { mean, std } = meanStd(v[ch].subarray(k * p.n_reads, (k + 1) * p.n_reads));
        if (std > worstStdV) [worstStdV, worstAtV] = [std, set[ch][k]];
        maxDeviationV = Math.max(maxDeviationV, Math.abs(mean - set[ch][k]));
      }
      const file = path.join(dir, `${pmtSerial}.hdf5`);
      await writeHdf5(file, {
        attrs: {
          ...pmtFileAttrs(m, pmt, pmtSerial),
          channel: ch,
          hv1e7_volts: centre[ch],
          span_volts: p.span_volts,
          step_volts: p.step_volts,
          reads_per_step: p.n_reads,
          time: new Date(ctx.ws.clock.now()).toISOString(),
        },
        datasets: {
          set_volts: { data: set[ch], attrs: { units: 'V' } },
          readback_volts: { data: v[ch], shape: [nSteps, p.n_reads], attrs: { units: 'V, [step, read]' } },
          current_ua: { data: i[ch], shape: [nSteps, p.n_reads], attrs: { units: 'uA, [step, read]' } },
          temperature_c: { data: t, shape: [nSteps, p.n_reads], attrs: { units: 'C (mainboard), [step, read]' } },
        },
      });
      await ctx.record.entry(
        m.jsonFile,
        'HVMonitoring',
        {
          Folder: dir,
          Filename: file,
          HV1e7Gain: centre[ch],
          Span: p.span_volts,
          Step: p.step_volts,
          Reads: p.n_reads,
          MaxReadbackStd: worstStdV,
          MaxDeviation: maxDeviationV,
          TaskId: ctx.task.id,
        },
        pmt,
      );
      out.push({ port: m.port, serial: m.serial, pmt, pmtSerial, setPointV: centre[ch], worstStdV, worstAtV, maxDeviationV, file });
    }
    return out;
  });
}

export const kind = {
  name: 'measure_hv',
  summary: 'HV sweep of each PMT across HV(1e7) +/- 120 V in 1 V steps',
  quantities: ['hv.readback_std'],
  params,
  positional: [],
  estimateS: (p, m) => HV_RAMP_S + rounds(m, p.n_jobs) * ((2 * p.span_volts) / p.step_volts + 1) * (p.step_wait_s + 0.05 * p.n_reads),
  async run(ctx, p) {
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_hv: the run has no active modules');
    const log = monitorFailureLog(ctx, 'measure_hv');
    await hvToSetPoints(ctx, modules, log.fail);
    const dir = newDataDir(ctx.ws.home.dataDir, 'hv_check', ctx.ws.clock.now());
    const out: Sweep[] = [];
    const todo = log.without(modules);
    await eachModule(ctx, todo, { jobs: p.n_jobs, log }, async (m) => {
      out.push(...(await sweepModule(ctx, p, m, dir)));
      ctx.progress(out.length / (2 * todo.length), `${m.serial} swept`);
    });
    if (!out.length) throw new Error(`measure_hv swept no PMT: ${log.summary()}`);
    out.sort((a, b) => a.port - b.port || a.pmt.localeCompare(b.pmt));
    await recordResultRows(ctx, 'measure_hv', dir, out, 'hv.readback_std', (x) => ({
      value: x.worstStdV,
      detail: { atVolts: x.worstAtV, maxDeviationV: x.maxDeviationV },
    }));
    return { folder: dir, pmts: out, failures: log.failures };
  },
} satisfies TaskKind<P>;

import type { TriggerType } from '../analysis/dark-rate.js';
import type { PmtChannel } from '../lab/iceboot/session.js';
import { newDataDir } from '../station/data-dirs.js';
import { type ResultInput } from '../records/results.js';
import type { IcebootSession } from '../lab/iceboot/session.js';
import { eachModule, failureLog, hvUpEach, laserOff, type FailureLog } from './module-jobs.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';

/** What the monitoring tasks share: laser off, HV at the set points, failures per module. */
export const HV_RAMP_S = 40;
/** a readback further than this from the set point needs the ramp wait */
const HV_AT_SET_POINT_V = 10;

export { laserOff, type ModuleFailure } from './module-jobs.js';

/** The monitoring tasks' failure log: `<task>.module-failed`, `<task>: <serial> (port N): <error>`. */
export const monitorFailureLog = (ctx: TaskContext, task: string) => failureLog(ctx, { kind: `${task}.module-failed`, task });

/**
 * Every module's HV at its PMTs' HV1e7Gain (enabled where off), then one 40 s wait if any
 * readback was away from its set point. Returns the modules that could not be reached.
 */
export async function hvToSetPoints(
  ctx: TaskContext,
  modules: ActiveModule[],
  onFail: (m: ActiveModule, e: unknown) => void,
): Promise<void> {
  await hvUpEach(ctx, modules, HV_RAMP_S, onFail, async (s, m) => {
    let moved = false;
    for (const ch of [0, 1] as PmtChannel[]) {
      const set = Math.round(await hvSetPoint(ctx.ws, m.jsonFile, PMTS[ch]));
      const rb = (await s.hvReadback(ch)).hvVolts;
      if (!(await s.hvEnabled(ch))) await s.enableHV(ch);
      await s.setHV(ch, set);
      if (Math.abs(rb - set) > HV_AT_SET_POINT_V) moved = true;
    }
    return moved;
  });
}

export interface Monitoring {
  log: FailureLog;
  /** the task's data folder */
  dir: string;
  /** the modules whose HV is at the set points */
  todo: ActiveModule[];
}

/**
 * How a monitoring task begins: the run's modules (refusing none), the laser off, the failure log,
 * every HV at its set point, and the data folder `dirName`.
 */
export async function startMonitoring(ctx: TaskContext, task: string, dirName: string): Promise<Monitoring> {
  const modules = [...ctx.modules];
  if (!modules.length) throw new Error(`${task}: the run has no active modules`);
  await laserOff(ctx);
  const log = monitorFailureLog(ctx, task);
  await hvToSetPoints(ctx, modules, log.fail);
  const dir = newDataDir(ctx.ws.home.dataDir, dirName, ctx.ws.clock.now());
  return { log, dir, todo: log.without(modules) };
}

/** What a monitoring round collects (rows, summary) and what it works in. */
export interface MonitorRound {
  dir: string;
  trigger: TriggerType;
  /** how many modules are monitored, for the progress */
  modules: number;
  rows: ResultInput[];
  summary: Array<Record<string, unknown>>;
}

/** `fn` with a session on each module still to do, `maxI` times over (`jobs` wire pairs at a time). */
export async function monitorRounds(
  ctx: TaskContext,
  mon: Monitoring,
  o: { jobs: number; maxI: number },
  fn: (s: IcebootSession, m: ActiveModule, i: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < o.maxI; i++)
    await eachModule(ctx, mon.todo, { jobs: o.jobs, log: mon.log }, (m) => ctx.lab.module(m.port, (s) => fn(s, m, i)));
}

/** How constant_monitor and slowmon end: refuse when no PMT was monitored, record the rows (as monitoring samples), the summary. */
export async function finishMonitoring(
  ctx: TaskContext,
  task: string,
  mon: Monitoring,
  rows: ResultInput[],
  pmts: Array<Record<string, unknown>>,
) {
  if (!pmts.length) throw new Error(`${task} monitored no PMT: ${mon.log.summary()}`);
  await ctx.record.samples(task, mon.dir, rows);
  return { folder: mon.dir, pmts, failures: mon.log.failures };
}

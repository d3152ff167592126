import type { Workspace } from '../station/workspace.js';
import { findRun, latestRun } from '../station/runs.js';
import { DurationModel, finishedTasks, basisOf, placesOf, type LearnedEstimate } from './task-durations.js';

/**
 * A finished run replayed: at the start of each of its tasks, the ETA that the learned durations
 * would have given (from what the station had finished by then) and the one of the catalogue's
 * fixed estimates, each against the run's real end. `bench/eta.ts` and the tests read it.
 */
export interface EtaBoundary {
  index: number;
  section: string;
  kind: string;
  /** lab time the task started */
  at: string;
  /** lab seconds from here to the real end */
  realS: number;
  learnedS: number;
  catalogueS: number;
  /** signed: positive when the ETA was later than the real end */
  learnedErrorS: number;
  catalogueErrorS: number;
  basis: string;
}

export interface EtaReplay {
  run: number;
  schedule: string;
  /** lab time the last task ended */
  endedAt: string;
  boundaries: EtaBoundary[];
  /** mean over the boundaries of |ETA - real end|, lab seconds */
  learnedMeanAbsErrorS: number;
  catalogueMeanAbsErrorS: number;
  /** the learned estimates at the first boundary, in one line */
  basisAtStart: string;
}

export async function replayEta(ws: Workspace, runArg?: string): Promise<EtaReplay> {
  const run = runArg === undefined ? await latestRun(ws) : await findRun(ws, runArg);
  if (!run) throw new Error(`station ${ws.station.name} has no run to replay`);
  const sched = await ws.db
    .selectFrom('schedules')
    .selectAll()
    .where('run_id', '=', run.id)
    .where('state', '=', 'completed')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!sched) throw new Error(`run ${run.run_number} of station ${ws.station.name} has no completed schedule to replay`);
  const all = await ws.db.selectFrom('tasks').selectAll().where('schedule_id', '=', sched.id).orderBy('idx').execute();
  const places = new Map(placesOf(all).map((n, i) => [all[i].id, n]));
  const tasks = all.filter((t) => t.state !== 'skipped');
  const unfinished = tasks.find((t) => t.state !== 'done' || !t.started_at || !t.ended_at);
  if (unfinished)
    throw new Error(
      `run ${run.run_number} (${sched.master_key}): task [${unfinished.idx}] ${unfinished.section} is ${unfinished.state}, not finished; only a finished run can be replayed`,
    );
  if (!tasks.length) throw new Error(`run ${run.run_number} (${sched.master_key}) has no finished task to replay`);
  const endMs = Math.max(...tasks.map((t) => Date.parse(t.ended_at!)));
  // learned as the run's own clock would have (not this process's: a dry run's home is read back on wall time)
  const history = await finishedTasks(ws, { scheduleId: sched.id, idx: Number.MAX_SAFE_INTEGER }, sched.clock_scale);

  const boundaries: EtaBoundary[] = [];
  let basisAtStart = '';
  for (const [i, t] of tasks.entries()) {
    const model = new DurationModel(history.filter((h) => h.scheduleId < sched.id || h.idx < t.idx));
    const ahead: LearnedEstimate[] = tasks.slice(i).map((x) => model.estimate(x, places.get(x.id)));
    if (i === 0) basisAtStart = basisOf(ahead);
    const atMs = Date.parse(t.started_at!);
    const realS = (endMs - atMs) / 1000;
    const learnedS = ahead.reduce((s, e) => s + e.estimateS, 0);
    const catalogueS = ahead.reduce((s, e) => s + e.catalogueS, 0);
    boundaries.push({
      index: t.idx,
      section: t.section,
      kind: t.kind,
      at: t.started_at!,
      realS,
      learnedS,
      catalogueS,
      learnedErrorS: learnedS - realS,
      catalogueErrorS: catalogueS - realS,
      basis: basisOf(ahead),
    });
  }
  const mean = (f: (b: EtaBoundary) => number) => boundaries.reduce((s, b) => s + Math.abs(f(b)), 0) / boundaries.length;
  return {
    run: run.run_number,
    schedule: sched.master_key,
    endedAt: new Date(endMs).toISOString(),
    boundaries,
    learnedMeanAbsErrorS: mean((b) => b.learnedErrorS),
    catalogueMeanAbsErrorS: mean((b) => b.catalogueErrorS),
    basisAtStart,
  };
}

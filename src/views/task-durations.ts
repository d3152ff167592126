import { storedScale } from '../clock/clock.js';
import type { Workspace } from '../station/workspace.js';
import { parseJson } from '../store/open.js';

/**
 * How long a task will take, learned from this station's finished tasks (of its latest
 * RECENT_SCHEDULES schedules): the median of the most recent runs of the same kind with the same
 * parameters, scaled by the catalogue's own dependence on the module count (the median of
 * duration / catalogue estimate, times this task's catalogue estimate; with the same module count
 * that is the median duration itself). Without such runs, the same kind with other parameters,
 * scaled the same way; without any, the catalogue's fixed estimate (TaskKind.estimateS).
 *
 * The clock: durations are lab time, the journal's started_at and ended_at, written from the
 * clock the run ran on, and the ETA is lab now plus lab time to go, so it is right for the run's
 * clock. On a real lab that is wall time. On a simulated lab at time scale X what a task spends
 * talking to instruments costs X times its wall time in lab time, so the same task lasts a
 * different lab time at another scale: only schedules run at this clock's scale are learned from
 * (schedules.clock_scale; those recorded before it was kept count for any scale).
 */

/** how many of the most recent runs of a task make its median */
export const RECENT_RUNS = 9;

/** how many of the station's latest schedules (that finished a task) are learned from */
export const RECENT_SCHEDULES = 12;

/** parameters that say something about a task but do not change how long it takes */
const FREE_TEXT = new Set(['comment']);

export interface FinishedTask {
  scheduleId: number;
  idx: number;
  kind: string;
  /** durationKey of the task */
  key: string;
  /** the catalogue's estimate when it was planned (its run's module count) */
  estimateS: number;
  /** lab seconds from start to end of its last attempt */
  durationS: number;
}

export type EstimateSource = 'same' | 'kind' | 'catalogue';

export interface LearnedEstimate {
  estimateS: number;
  /** the catalogue's fixed estimate for this task */
  catalogueS: number;
  source: EstimateSource;
  /** runs the median was taken over (0 for the catalogue) */
  runs: number;
  /** "median of 6 runs", "median of 3 runs with other parameters", "catalogue estimate" */
  basis: string;
}

/** What decides a task's duration: its kind and its parameters, but free text such as a comment. */
export function durationKey(kind: string, params: Record<string, unknown> | string): string {
  const p = typeof params === 'string' ? parseJson<Record<string, unknown>>(params, `params of a ${kind} task`) : params;
  const kept = Object.keys(p)
    .filter((k) => !FREE_TEXT.has(k))
    .sort()
    .map((k) => [k, p[k]]);
  return `${kind} ${JSON.stringify(kept)}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The learned durations of a history of finished tasks, newest first. */
export class DurationModel {
  private readonly byKey = new Map<string, FinishedTask[]>();
  private readonly byKind = new Map<string, FinishedTask[]>();

  constructor(readonly history: readonly FinishedTask[]) {
    for (const t of history) {
      push(this.byKey, t.key, t);
      push(this.byKind, t.kind, t);
    }
  }

  estimate(task: { kind: string; params: Record<string, unknown> | string; estimate_s: number }): LearnedEstimate {
    const catalogueS = Math.max(0, task.estimate_s);
    const same = (this.byKey.get(durationKey(task.kind, task.params)) ?? []).slice(0, RECENT_RUNS);
    if (same.length) {
      const scalable = catalogueS > 0 && same.every((t) => t.estimateS > 0);
      return {
        estimateS: scalable ? catalogueS * median(same.map((t) => t.durationS / t.estimateS)) : median(same.map((t) => t.durationS)),
        catalogueS,
        source: 'same',
        runs: same.length,
        basis: `median of ${plural(same.length, 'run')}`,
      };
    }
    // other parameters: only the catalogue can say how they change the duration
    const kind = catalogueS > 0 ? (this.byKind.get(task.kind) ?? []).filter((t) => t.estimateS > 0).slice(0, RECENT_RUNS) : [];
    if (kind.length)
      return {
        estimateS: catalogueS * median(kind.map((t) => t.durationS / t.estimateS)),
        catalogueS,
        source: 'kind',
        runs: kind.length,
        basis: `median of ${plural(kind.length, 'run')} with other parameters`,
      };
    return { estimateS: catalogueS, catalogueS, source: 'catalogue', runs: 0, basis: 'catalogue estimate' };
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * One line for the estimates of several tasks: "median of 6 runs", "median of 2–4 runs per task;
 * 3 of 10 tasks from the catalogue", "catalogue estimates: no finished runs of these tasks on this station yet".
 */
export function basisOf(estimates: readonly LearnedEstimate[]): string {
  if (!estimates.length) return 'nothing left to estimate';
  const learned = estimates.filter((e) => e.source !== 'catalogue');
  if (!learned.length) return 'catalogue estimates: no finished runs of these tasks on this station yet';
  const runs = learned.map((e) => e.runs);
  const lo = Math.min(...runs);
  const hi = Math.max(...runs);
  const parts = [lo === hi ? `median of ${plural(lo, 'run')}` : `median of ${lo}–${hi} runs per task`];
  const other = learned.filter((e) => e.source === 'kind').length;
  if (other) parts.push(`${other} of ${plural(estimates.length, 'task')} from runs with other parameters`);
  const fixed = estimates.length - learned.length;
  if (fixed) parts.push(`${fixed} of ${plural(estimates.length, 'task')} from the catalogue`);
  return parts.join('; ');
}

/**
 * This station's finished tasks on this workspace's clock, from its last RECENT_SCHEDULES
 * schedules that finished any, newest first (a status request reads them: a year of history
 * would be tens of thousands of rows). `before` keeps only what was known when task `idx` of
 * schedule `scheduleId` started (earlier schedules, and the tasks of that schedule before it), for
 * replaying a finished run.
 */
export async function finishedTasks(ws: Workspace, before?: { scheduleId: number; idx: number }): Promise<FinishedTask[]> {
  const scale = storedScale(ws.clock);
  let schedules = ws.db
    .selectFrom('schedules')
    .innerJoin('runs', 'runs.id', 'schedules.run_id')
    .select('schedules.id')
    .where('runs.station', '=', ws.station.name)
    .where((eb) => eb.or([eb('schedules.clock_scale', '=', scale), eb('schedules.clock_scale', 'is', null)]))
    .where((eb) =>
      eb.exists(
        eb.selectFrom('tasks').select('tasks.id').whereRef('tasks.schedule_id', '=', 'schedules.id').where('tasks.state', '=', 'done'),
      ),
    );
  if (before) schedules = schedules.where('schedules.id', '<=', before.scheduleId);
  const ids = (await schedules.orderBy('schedules.id', 'desc').limit(RECENT_SCHEDULES).execute()).map((r) => r.id);
  if (!ids.length) return [];
  let q = ws.db
    .selectFrom('tasks')
    .select(['tasks.schedule_id', 'tasks.idx', 'tasks.kind', 'tasks.params', 'tasks.estimate_s', 'tasks.started_at', 'tasks.ended_at'])
    .where('tasks.schedule_id', 'in', ids)
    .where('tasks.state', '=', 'done')
    .where('tasks.started_at', 'is not', null)
    .where('tasks.ended_at', 'is not', null);
  if (before)
    q = q.where((eb) =>
      eb.or([
        eb('tasks.schedule_id', '<', before.scheduleId),
        eb.and([eb('tasks.schedule_id', '=', before.scheduleId), eb('tasks.idx', '<', before.idx)]),
      ]),
    );
  const rows = await q.orderBy('tasks.ended_at', 'desc').orderBy('tasks.id', 'desc').execute();
  return rows.map((r) => ({
    scheduleId: r.schedule_id,
    idx: r.idx,
    kind: r.kind,
    key: durationKey(r.kind, r.params),
    estimateS: r.estimate_s,
    durationS: Math.max(0, (Date.parse(r.ended_at!) - Date.parse(r.started_at!)) / 1000),
  }));
}

/** The learned durations of this station now. */
export async function durationModel(ws: Workspace): Promise<DurationModel> {
  return new DurationModel(await finishedTasks(ws));
}

import { storedScale } from '../clock/clock.js';
import type { Workspace } from '../station/workspace.js';
import { parseJson } from '../store/open.js';

/**
 * How long a task will take, learned from this station's finished tasks (of its latest
 * RECENT_SCHEDULES schedules): the median of the most recent runs of the same kind with the same
 * parameters (at the same place in their schedule when there are such, as the first of two
 * identical gain scans searches for the HV and the second starts there), scaled by the catalogue's own dependence on the module count (the median of
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
  /** how many tasks of its schedule before it have the same key (the first gain scan finds the HV, the second starts there) */
  nth: number;
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

/** For tasks in schedule order: how many before each have its durationKey. */
export function placesOf(tasks: ReadonlyArray<{ kind: string; params: Record<string, unknown> | string }>): number[] {
  const seen = new Map<string, number>();
  return tasks.map((t) => {
    const key = durationKey(t.kind, t.params);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The learned durations of a history of finished tasks, newest first. */
export class DurationModel {
  private readonly byPlace = new Map<string, FinishedTask[]>();
  private readonly byKey = new Map<string, FinishedTask[]>();
  private readonly byKind = new Map<string, FinishedTask[]>();

  constructor(readonly history: readonly FinishedTask[]) {
    for (const t of history) {
      push(this.byPlace, `${t.key}#${t.nth}`, t);
      push(this.byKey, t.key, t);
      push(this.byKind, t.kind, t);
    }
  }

  /**
   * `nth` (placesOf): the same task at the same place in its schedule is learned from first, then
   * the same kind and parameters anywhere.
   */
  estimate(task: { kind: string; params: Record<string, unknown> | string; estimate_s: number }, nth?: number): LearnedEstimate {
    const catalogueS = Math.max(0, task.estimate_s);
    const key = durationKey(task.kind, task.params);
    const placed = nth === undefined ? undefined : this.byPlace.get(`${key}#${nth}`);
    const same = (placed ?? this.byKey.get(key) ?? []).slice(0, RECENT_RUNS);
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
 * replaying a finished run. `scale`: the clock to learn for (stored form, storedScale); null: any.
 */
export async function finishedTasks(
  ws: Workspace,
  before?: { scheduleId: number; idx: number },
  scale: number | null = storedScale(ws.clock),
): Promise<FinishedTask[]> {
  let schedules = ws.db
    .selectFrom('schedules')
    .innerJoin('runs', 'runs.id', 'schedules.run_id')
    .select('schedules.id')
    .where('runs.station', '=', ws.station.name)
    .where((eb) =>
      eb.exists(
        eb.selectFrom('tasks').select('tasks.id').whereRef('tasks.schedule_id', '=', 'schedules.id').where('tasks.state', '=', 'done'),
      ),
    );
  if (scale !== null)
    schedules = schedules.where((eb) => eb.or([eb('schedules.clock_scale', '=', scale), eb('schedules.clock_scale', 'is', null)]));
  if (before) schedules = schedules.where('schedules.id', '<=', before.scheduleId);
  const ids = (await schedules.orderBy('schedules.id', 'desc').limit(RECENT_SCHEDULES).execute()).map((r) => r.id);
  if (!ids.length) return [];
  const rows = await ws.db
    .selectFrom('tasks')
    .select(['id', 'schedule_id', 'idx', 'kind', 'params', 'estimate_s', 'state', 'started_at', 'ended_at'])
    .where('schedule_id', 'in', ids)
    .orderBy('schedule_id')
    .orderBy('idx')
    .execute();
  const places = new Map<number, number>();
  for (const id of ids) {
    const own = rows.filter((r) => r.schedule_id === id);
    placesOf(own).forEach((n, i) => places.set(own[i].id, n));
  }
  const known = (r: (typeof rows)[number]) =>
    !before || r.schedule_id < before.scheduleId || (r.schedule_id === before.scheduleId && r.idx < before.idx);
  return rows
    .filter((r) => r.state === 'done' && r.started_at && r.ended_at && known(r))
    .sort((a, b) => (a.ended_at! < b.ended_at! ? 1 : a.ended_at! > b.ended_at! ? -1 : b.id - a.id))
    .map((r) => ({
      scheduleId: r.schedule_id,
      idx: r.idx,
      kind: r.kind,
      key: durationKey(r.kind, r.params),
      nth: places.get(r.id) ?? 0,
      estimateS: r.estimate_s,
      durationS: Math.max(0, (Date.parse(r.ended_at!) - Date.parse(r.started_at!)) / 1000),
    }));
}

/** The learned durations of this station now. */
export async function durationModel(ws: Workspace): Promise<DurationModel> {
  return new DurationModel(await finishedTasks(ws));
}

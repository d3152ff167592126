import { nowIso } from '../../store/open.js';
import type { Workspace } from '../../station/workspace.js';
import { latestRun } from '../../station/runs.js';
import { PREFLIGHT_STEPS, type PreflightStepKey } from './steps.js';

/**
 * Where a walk of `fat preflight` stands, kept in the store: a walk that did not finish is picked
 * up by the next `fat preflight` after its last passed step, as long as its run is still the
 * station's latest (a newer run means someone went on by hand, and the walk starts over).
 */
export interface StepResult {
  step: PreflightStepKey;
  state: 'pass' | 'warn' | 'fail';
  message: string;
  data: Record<string, unknown>;
  at: string;
}

export interface Walk {
  id: number;
  runId: number | null;
  /** the latest result of each step reached, in the order of the checklist */
  results: StepResult[];
  /** the first step still to do */
  next: number;
  resumed: boolean;
}

const passed = (r: StepResult) => r.state !== 'fail';

export async function walkResults(ws: Workspace, preflightId: number): Promise<StepResult[]> {
  const rows = await ws.db.selectFrom('preflight_steps').selectAll().where('preflight_id', '=', preflightId).orderBy('id').execute();
  const latest = new Map<string, StepResult>();
  for (const r of rows)
    latest.set(r.step, {
      step: r.step as PreflightStepKey,
      state: r.state,
      message: r.message,
      data: JSON.parse(r.data) as Record<string, unknown>,
      at: r.at,
    });
  return PREFLIGHT_STEPS.flatMap((s) => latest.get(s.key) ?? []);
}

/** The step after the last passed one (every step before it passed too). */
function nextStep(results: StepResult[]): number {
  let next = 0;
  for (const [i, s] of PREFLIGHT_STEPS.entries()) {
    const r = results.find((x) => x.step === s.key);
    if (r && passed(r)) next = i + 1;
    else break;
  }
  return next;
}

/** The unfinished walk of this station's latest run, or a new walk (`restart`: always new). */
export async function beginWalk(ws: Workspace, operator: string, restart = false): Promise<Walk> {
  if (!restart) {
    const last = await ws.db
      .selectFrom('preflights')
      .selectAll()
      .where('station', '=', ws.station.name)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const run = await latestRun(ws);
    const sameRun = last && (last.run_id === null ? true : last.run_id === run?.id);
    if (last && last.state !== 'done' && sameRun) {
      const results = await walkResults(ws, last.id);
      const next = nextStep(results);
      if (next > 0) {
        await ws.db.updateTable('preflights').set({ state: 'walking', ended_at: null }).where('id', '=', last.id).execute();
        return { id: last.id, runId: last.run_id, results, next, resumed: true };
      }
    }
  }
  const row = await ws.db
    .insertInto('preflights')
    .values({ station: ws.station.name, run_id: null, operator, started_at: nowIso(), state: 'walking', ended_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, runId: null, results: [], next: 0, resumed: false };
}

export async function recordStep(ws: Workspace, walk: Walk, r: Omit<StepResult, 'at'>): Promise<StepResult> {
  const result = { ...r, at: nowIso() };
  await ws.db
    .insertInto('preflight_steps')
    .values({ preflight_id: walk.id, step: r.step, state: r.state, message: r.message, data: JSON.stringify(r.data), at: result.at })
    .execute();
  walk.results = [...walk.results.filter((x) => x.step !== r.step), result];
  return result;
}

export async function attachRun(ws: Workspace, walk: Walk, runId: number): Promise<void> {
  walk.runId = runId;
  await ws.db.updateTable('preflights').set({ run_id: runId }).where('id', '=', walk.id).execute();
}

export async function endWalk(ws: Workspace, walk: Walk, state: 'failed' | 'done'): Promise<void> {
  await ws.db.updateTable('preflights').set({ state, ended_at: nowIso() }).where('id', '=', walk.id).execute();
}

/** The latest walk of a run with each step's latest result, for the Start New Run page. */
export async function walkOfRun(ws: Workspace, runId: number) {
  const walk = await ws.db
    .selectFrom('preflights')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!walk) return null;
  const results = await walkResults(ws, walk.id);
  return { id: walk.id, state: walk.state, operator: walk.operator, startedAt: walk.started_at, endedAt: walk.ended_at, results };
}

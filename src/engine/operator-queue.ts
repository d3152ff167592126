import type { Selectable } from 'kysely';
import type { Workspace } from '../station/workspace.js';
import { latestRun } from '../station/runs.js';
import { nowIso } from '../store/open.js';
import type { OperatorAction, OperatorRequestTable } from '../store/schema.js';

/**
 * The operator requests of a run as the store keeps them: those still pending (the master has not
 * seen them yet), and whether the run is paused by a person. Both the side that asks (CLI, API) and
 * the master read the same rows.
 */
export type OperatorRequest = Selectable<OperatorRequestTable>;

/** The run the operator acts on: the one whose schedule is active, else the station's latest. */
export async function currentRun(ws: Workspace) {
  const active = await ws.db
    .selectFrom('schedules')
    .innerJoin('runs', 'runs.id', 'schedules.run_id')
    .selectAll('runs')
    .where('runs.station', '=', ws.station.name)
    .where('schedules.state', '=', 'active')
    .orderBy('schedules.id', 'desc')
    .executeTakeFirst();
  return active ?? (await latestRun(ws));
}

export async function pendingRequests(ws: Workspace, runId: number): Promise<OperatorRequest[]> {
  return ws.db
    .selectFrom('operator_requests')
    .selectAll()
    .where('run_id', '=', runId)
    .where('handled_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** Marks a request handled with what came of it; false when it was handled already. */
export async function markHandled(ws: Workspace, id: number, outcome: string): Promise<boolean> {
  const r = await ws.db
    .updateTable('operator_requests')
    .set({ handled_at: nowIso(ws.clock.now()), outcome })
    .where('id', '=', id)
    .where('handled_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** outcomes of requests that never took effect: they do not count for the pause state */
export const DROPPED = 'dropped';

export interface PauseState {
  by: string;
  reason: string | null;
  requestedAt: string;
  /** the master holds now (false: it will at its next task boundary) */
  inEffect: boolean;
  via: string;
}

/**
 * Paused by a person when the newest pause, resume or abort of the run is a pause: pending (the
 * master holds at its next task boundary) or handled (it holds now). An abort ends a pause.
 */
export async function pauseState(ws: Workspace, runId: number): Promise<PauseState | undefined> {
  const last = await ws.db
    .selectFrom('operator_requests')
    .selectAll()
    .where('run_id', '=', runId)
    .where('action', 'in', ['pause', 'resume', 'abort'] satisfies OperatorAction[])
    .where((eb) => eb.or([eb('outcome', 'is', null), eb('outcome', 'not like', `${DROPPED}%`)]))
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (last?.action !== 'pause') return undefined;
  return {
    by: last.requested_by,
    reason: last.reason,
    requestedAt: last.requested_at,
    inEffect: last.handled_at !== null,
    via: last.via,
  };
}

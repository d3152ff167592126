import { sql } from 'kysely';
import type { TaskRecord } from '../records/task-record.js';
import type { Workspace } from '../station/workspace.js';
import type { TaskState } from '../store/schema.js';
import { nowIso } from '../store/open.js';
import { executeWrites } from '../store/write-set.js';
import { storedScale } from '../clock/clock.js';

/** `outcome = 'running'` as a literal, which lets SQLite use the partial index of running attempts (migration 0018) */
const RUNNING = sql.lit('running');

/**
 * The durable journal of a schedule: every task's state, attempts, times, errors and traces live
 * in the store, and every transition is one transaction. A crash at any instant leaves each task
 * either as it was or fully moved on.
 */
export interface PlannedTask {
  index: number;
  section: string;
  kind: string;
  params: Record<string, unknown>;
  runBackup: boolean;
  estimateS: number;
  /** what a person must do for this task, if anything */
  person?: string;
}

export async function createSchedule(
  ws: Workspace,
  s: { runId: number; masterKey: string; configPath: string; configHash: string; archivedPath: string; tasks: PlannedTask[] },
): Promise<number> {
  return ws.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('schedules')
      .set({ state: 'superseded', ended_at: nowIso() })
      .where('run_id', '=', s.runId)
      .where('state', '=', 'active')
      .execute();
    const row = await tx
      .insertInto('schedules')
      .values({
        run_id: s.runId,
        master_key: s.masterKey,
        config_path: s.configPath,
        config_hash: s.configHash,
        archived_path: s.archivedPath,
        clock_scale: storedScale(ws.clock),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (s.tasks.length) {
      await tx
        .insertInto('tasks')
        .values(
          s.tasks.map((t) => ({
            schedule_id: row.id,
            idx: t.index,
            section: t.section,
            kind: t.kind,
            params: JSON.stringify(t.params),
            run_backup: t.runBackup ? 1 : 0,
            estimate_s: t.estimateS,
            person: t.person ?? null,
          })),
        )
        .execute();
    }
    return row.id;
  });
}

export async function activeSchedule(ws: Workspace, runId: number) {
  return ws.db
    .selectFrom('schedules')
    .selectAll()
    .where('run_id', '=', runId)
    .where('state', '=', 'active')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export async function scheduleTasks(ws: Workspace, scheduleId: number) {
  return ws.db.selectFrom('tasks').selectAll().where('schedule_id', '=', scheduleId).orderBy('idx').execute();
}

/** The task the master runs next: the first pending one, or undefined when none is left. */
export async function nextPendingTask(ws: Workspace, scheduleId: number) {
  return ws.db
    .selectFrom('tasks')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .where('state', '=', 'pending')
    .orderBy('idx')
    .limit(1)
    .executeTakeFirst();
}

/** The last task of `kind` before index `beforeIdx` that is done, or undefined. */
export async function lastDoneBefore(ws: Workspace, scheduleId: number, kind: string, beforeIdx: number) {
  return ws.db
    .selectFrom('tasks')
    .select(['idx', 'params'])
    .where('schedule_id', '=', scheduleId)
    .where('kind', '=', kind)
    .where('state', '=', 'done')
    .where('idx', '<', beforeIdx)
    .orderBy('idx', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** After a crash: a task left `running` was interrupted; its attempt is superseded and it runs again. */
export async function supersedeInterrupted(ws: Workspace, scheduleId: number): Promise<number> {
  return ws.db.transaction().execute(async (tx) => {
    const running = await tx
      .selectFrom('tasks')
      .select('id')
      .where('schedule_id', '=', scheduleId)
      .where('state', '=', 'running')
      .execute();
    for (const t of running) {
      await tx
        .updateTable('task_attempts')
        .set({ outcome: 'superseded', ended_at: nowIso() })
        .where('task_id', '=', t.id)
        .where('outcome', '=', RUNNING)
        .execute();
      await tx
        .updateTable('tasks')
        .set({ state: 'pending', progress: 0, progress_note: 'interrupted; will run again' })
        .where('id', '=', t.id)
        .execute();
    }
    return running.length;
  });
}

/**
 * On --recover: a task that failed, or that a "no" to its prompt stopped, is unfinished and runs
 * again (its failed attempt stays in task_attempts).
 */
export async function reopenFailed(ws: Workspace, scheduleId: number): Promise<number> {
  const r = await ws.db
    .updateTable('tasks')
    .set({ state: 'pending', progress: 0, progress_note: 'failed; will run again', ended_at: null })
    .where('schedule_id', '=', scheduleId)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Prompts nobody needs to answer any more: open ones of tasks that will not run (skipped by
 * --from, done, or in a schedule a new one replaced). They are closed without an answer, so
 * `fat status` and `fat answer` do not offer a question whose master is gone.
 */
export async function closeStalePrompts(ws: Workspace, runId: number, labNowMs: number): Promise<number> {
  const stale = await ws.db
    .selectFrom('prompts')
    .innerJoin('tasks', 'tasks.id', 'prompts.task_id')
    .innerJoin('schedules', 'schedules.id', 'tasks.schedule_id')
    .select('prompts.id')
    .where('prompts.run_id', '=', runId)
    .where('prompts.answered_at', 'is', null)
    .where((eb) => eb.or([eb('schedules.state', '!=', 'active'), eb('tasks.state', 'in', ['skipped', 'done'])]))
    .execute();
  if (!stale.length) return 0;
  await ws.db
    .updateTable('prompts')
    .set({
      answered_at: nowIso(labNowMs),
      answered_by: 'icefat',
      via: 'closed',
      reason: 'not needed any more: its task will not run (the schedule was restarted)',
    })
    .where(
      'id',
      'in',
      stale.map((p) => p.id),
    )
    .execute();
  return stale.length;
}

/** `--from N`: every task from index N on is pending again (earlier ones keep their state). */
export async function resetFrom(ws: Workspace, scheduleId: number, fromIndex: number): Promise<void> {
  await ws.db
    .updateTable('tasks')
    .set({ state: 'pending', progress: 0, progress_note: `reset by --from ${fromIndex}`, error: null, trace: null })
    .where('schedule_id', '=', scheduleId)
    .where('idx', '>=', fromIndex)
    .execute();
}

export async function markSkippedBefore(ws: Workspace, scheduleId: number, fromIndex: number): Promise<void> {
  await ws.db
    .updateTable('tasks')
    .set({ state: 'skipped', progress_note: `skipped: started at ${fromIndex}` })
    .where('schedule_id', '=', scheduleId)
    .where('idx', '<', fromIndex)
    .where('state', 'in', ['pending', 'failed'])
    .execute();
}

export async function startTask(ws: Workspace, taskId: number, labNowMs: number): Promise<number> {
  return ws.db.transaction().execute(async (tx) => {
    const at = nowIso(labNowMs);
    const { attempts: attempt } = await tx
      .updateTable('tasks')
      .set((eb) => ({
        state: 'running',
        attempts: eb('attempts', '+', 1),
        started_at: at,
        ended_at: null,
        progress: 0,
        progress_note: '',
        progress_at: at,
        error: null,
        trace: null,
      }))
      .where('id', '=', taskId)
      .returning('attempts')
      .executeTakeFirstOrThrow();
    await tx.insertInto('task_attempts').values({ task_id: taskId, attempt, started_at: at }).execute();
    return attempt;
  });
}

export async function finishTask(
  ws: Workspace,
  taskId: number,
  state: Exclude<TaskState, 'running'>,
  labNowMs: number,
  outcome: { error?: string; trace?: string; result?: unknown; attemptOutcome?: string; record?: TaskRecord } = {},
): Promise<void> {
  const at = nowIso(labNowMs);
  await ws.db.transaction().execute(async (tx) => {
    const task = {
      state,
      ended_at: state === 'pending' ? null : at,
      progress: state === 'done' ? 1 : undefined,
      error: outcome.error ?? null,
      trace: outcome.trace ?? null,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
    };
    const attempt = { outcome: outcome.attemptOutcome ?? state, ended_at: at, error: outcome.error ?? null };
    // what the task measured commits with its end, or not at all; on PostgreSQL in one statement with it
    await executeWrites(tx, [
      ...((await outcome.record?.writes(tx)) ?? []),
      tx.updateTable('task_attempts').set(attempt).where('task_id', '=', taskId).where('outcome', '=', RUNNING),
      tx.updateTable('tasks').set(task).where('id', '=', taskId),
    ]);
  });
}

export async function reportProgress(ws: Workspace, taskId: number, fraction: number, note: string, labNowMs: number): Promise<void> {
  await ws.db
    .updateTable('tasks')
    .set({ progress: Math.max(0, Math.min(1, fraction)), progress_note: note, progress_at: nowIso(labNowMs) })
    .where('id', '=', taskId)
    .execute();
}

/**
 * A completed schedule is closed; a stopped one stays active (its journal is what --recover
 * continues) and only records when and why it stopped.
 */
export async function endSchedule(
  ws: Workspace,
  scheduleId: number,
  how: 'completed' | 'stopped',
  reason: string,
  labNowMs: number,
): Promise<void> {
  await ws.db
    .updateTable('schedules')
    .set({ state: how === 'completed' ? 'completed' : 'active', ended_at: nowIso(labNowMs), end_reason: reason })
    .where('id', '=', scheduleId)
    .execute();
}

export async function latestSchedule(ws: Workspace, runId: number) {
  return ws.db.selectFrom('schedules').selectAll().where('run_id', '=', runId).orderBy('id', 'desc').executeTakeFirst();
}

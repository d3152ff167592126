import type { Kysely } from 'kysely';
import { createdNow, defaulted, keyedTable, optional, reference, required, retried, stationRun } from './columns.js';

/** The master's durable state: schedules and their tasks, attempts, prompts, the station lease,
 *  control commands, the Slack outbox and the backup queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const create of [
    createSchedules,
    createTasks,
    createTaskAttempts,
    createPrompts,
    createLeases,
    createCommands,
    createOutbox,
    createBackups,
  ]) {
    await create(db);
  }
  await db.schema.alterTable('modules').addColumn('state_reason', 'text').execute();
}

async function createSchedules(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'schedules')
    .$call(reference('run_id', 'runs.id'))
    .$call(required('text', 'master_key', 'config_path', 'config_hash', 'archived_path'))
    .$call(defaulted('text', 'state', 'active'))
    .$call(createdNow())
    .$call(optional('text', 'ended_at', 'end_reason'))
    .execute();
}

async function createTasks(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'tasks')
    .$call(reference('schedule_id', 'schedules.id'))
    .$call(required('integer', 'idx'))
    .$call(required('text', 'section', 'kind', 'params'))
    .$call(defaulted('integer', 'run_backup', 0))
    .$call(defaulted('text', 'state', 'pending'))
    .$call(defaulted('integer', 'attempts', 0))
    .$call(defaulted('real', 'estimate_s', 0))
    .$call(optional('text', 'started_at', 'ended_at'))
    .$call(defaulted('real', 'progress', 0))
    .$call(defaulted('text', 'progress_note', ''))
    .$call(optional('text', 'progress_at', 'error', 'trace', 'result'))
    .addUniqueConstraint('tasks_schedule_idx', ['schedule_id', 'idx'])
    .execute();
}

async function createTaskAttempts(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'task_attempts')
    .$call(reference('task_id', 'tasks.id'))
    .$call(required('integer', 'attempt'))
    .$call(required('text', 'started_at'))
    .$call(optional('text', 'ended_at'))
    .$call(defaulted('text', 'outcome', 'running'))
    .$call(optional('text', 'error'))
    .execute();
}

async function createPrompts(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'prompts')
    .$call(stationRun())
    .$call(optional('integer', 'task_id'))
    .$call(required('text', 'kind', 'message', 'opened_at'))
    .$call(optional('text', 'answered_at', 'answer', 'reason', 'answered_by', 'via'))
    .execute();
}

async function createLeases(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('station', 'text', (c) => c.primaryKey())
    .$call(required('text', 'holder'))
    .$call(required('integer', 'pid'))
    .$call(required('text', 'host', 'acquired_at', 'heartbeat_at'))
    .execute();
}

async function createCommands(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'commands')
    .$call(stationRun())
    .$call(required('text', 'command'))
    .$call(defaulted('text', 'args', '{}'))
    .$call(required('text', 'requested_by', 'requested_at'))
    .$call(optional('text', 'handled_at'))
    .execute();
}

async function createOutbox(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'outbox')
    .$call(stationRun())
    .$call(required('text', 'target', 'text'))
    .$call(retried())
    .$call(optional('text', 'sent_at', 'last_error'))
    .execute();
  await db.schema.createIndex('outbox_pending').on('outbox').columns(['state', 'id']).execute();
}

async function createBackups(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'backups')
    .$call(stationRun())
    .$call(optional('integer', 'task_id'))
    .$call(retried())
    .$call(required('text', 'snapshot_path', 'destination'))
    .$call(optional('text', 'last_error', 'done_at'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['backups', 'outbox', 'commands', 'leases', 'prompts', 'task_attempts', 'tasks', 'schedules']) {
    await db.schema.dropTable(t).execute();
  }
}

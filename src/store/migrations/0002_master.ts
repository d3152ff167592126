import { sql, type Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

/** The master's durable state: schedules and their tasks, attempts, prompts, the station lease,
 *  control commands, the Slack outbox and the backup queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = idColumn(engineOf(db));
  const now = sql`CURRENT_TIMESTAMP`;

  await db.schema
    .createTable('schedules')
    .addColumn('id', 'integer', id)
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id'))
    .addColumn('master_key', 'text', (c) => c.notNull())
    .addColumn('config_path', 'text', (c) => c.notNull())
    .addColumn('config_hash', 'text', (c) => c.notNull())
    .addColumn('archived_path', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(now))
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'integer', id)
    .addColumn('schedule_id', 'integer', (c) => c.notNull().references('schedules.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('section', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('run_backup', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('estimate_s', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('progress_at', 'text')
    .addColumn('error', 'text')
    .addColumn('trace', 'text')
    .addColumn('result', 'text')
    .addUniqueConstraint('tasks_schedule_idx', ['schedule_id', 'idx'])
    .execute();

  await db.schema
    .createTable('task_attempts')
    .addColumn('id', 'integer', id)
    .addColumn('task_id', 'integer', (c) => c.notNull().references('tasks.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('error', 'text')
    .execute();

  await db.schema
    .createTable('prompts')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('task_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('answer', 'text')
    .addColumn('reason', 'text')
    .addColumn('answered_by', 'text')
    .addColumn('via', 'text')
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('station', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('commands')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('args', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('handled_at', 'text')
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('outbox_pending').on('outbox').columns(['state', 'id']).execute();

  await db.schema
    .createTable('backups')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('task_id', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('snapshot_path', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('done_at', 'text')
    .execute();

  await db.schema.alterTable('modules').addColumn('state_reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['backups', 'outbox', 'commands', 'leases', 'prompts', 'task_attempts', 'tasks', 'schedules']) {
    await db.schema.dropTable(t).execute();
  }
}

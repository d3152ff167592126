import { sql, type Kysely } from 'kysely';

/**
 * The running attempt of a task (at most one), by task: every end of a task closes it
 * (journal.finishTask). Through `task_attempts_task` that read every attempt of the task, so a
 * task begun again and again (a retried task, the store benchmark's monitoring task) paid for its
 * whole history at each end. The query names `outcome = 'running'` as a literal, which is what
 * lets SQLite use a partial index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('task_attempts_running')
    .on('task_attempts')
    .column('task_id')
    .where(sql.ref('outcome'), '=', sql.lit('running'))
    .execute();
}

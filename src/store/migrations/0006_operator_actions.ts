import type { Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

/**
 * Operator requests (pause, resume, abort, exclude, include) made with the CLI or the API: a row
 * that the master picks up at its next task boundary (an abort also mid-task), marked handled with
 * its outcome. Who asked, why and how stays on record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = idColumn(engineOf(db));
  await db.schema
    .createTable('operator_requests')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.references('runs.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('reason', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('handled_at', 'text')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('operator_requests_run').on('operator_requests').columns(['run_id', 'handled_at', 'id']).execute();
}

import type { Kysely } from 'kysely';
import { keyedTable, optional, reference, required, stationRun } from './columns.js';

/**
 * Operator requests (pause, resume, abort, exclude, include) made with the CLI or the API: a row
 * that the master picks up at its next task boundary (an abort also mid-task), marked handled with
 * its outcome. Who asked, why and how stays on record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'operator_requests')
    .$call(stationRun(reference('run_id', 'runs.id', { nullable: true })))
    .$call(required('text', 'action'))
    .$call(optional('text', 'target', 'reason'))
    .$call(required('text', 'requested_by', 'via', 'requested_at'))
    .$call(optional('text', 'handled_at', 'outcome'))
    .execute();
  await db.schema.createIndex('operator_requests_run').on('operator_requests').columns(['run_id', 'handled_at', 'id']).execute();
}

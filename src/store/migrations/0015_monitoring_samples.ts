import type { Kysely } from 'kysely';
import { keyedTable, optional, reference, required, stationRun } from './columns.js';

/**
 * Monitoring samples: what a monitoring task (constant_monitor, slowmon) measured, one row per
 * module and commit with the module's samples packed in `samples` (a JSON array, one
 * [pmt, name, value, units, verdict, reason, detail] per sample, judged as a result is). The
 * only index is (run_id, id): a commit appends to the end of it, where a result row per sample
 * put its entries beside the rows of its run and serial (records/samples.ts).
 * `last_result_id` is the newest result when the samples were committed: it places them among
 * the results (a later result of the same quantity supersedes them, an earlier one is superseded),
 * and as a `*_result_id` column it is rewritten by `fat store copy` like any reference.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'monitoring_samples')
    .$call(stationRun(reference('run_id', 'runs.id')))
    .$call(optional('integer', 'task_id'))
    .$call(required('text', 'kind'))
    .$call(required('integer', 'port'))
    .$call(required('text', 'degg_serial'))
    .$call(optional('text', 'folder'))
    .$call(required('text', 'goalposts_version', 'provenance', 'created_at', 'samples'))
    .$call(optional('integer', 'last_result_id'))
    .execute();
  await db.schema.createIndex('monitoring_samples_run').on('monitoring_samples').columns(['run_id', 'id']).execute();
}

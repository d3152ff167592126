import type { Kysely } from 'kysely';
import { createdNow, defaulted, keyedTable, optional, reference, required, stationRun } from './columns.js';

/** Measurement results judged against the goalposts, one row per measured quantity. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'results')
    .$call(stationRun(reference('run_id', 'runs.id')))
    .$call(optional('integer', 'task_id'))
    .$call(required('text', 'kind'))
    .$call(required('integer', 'port'))
    .$call(required('text', 'degg_serial'))
    .$call(optional('text', 'pmt'))
    .$call(required('text', 'name'))
    .$call(optional('real', 'value'))
    .$call(defaulted('text', 'units', ''))
    .$call(required('text', 'verdict'))
    .$call(defaulted('text', 'reason', ''))
    .$call(required('text', 'goalposts_version'))
    .$call(optional('text', 'folder'))
    .$call(defaulted('text', 'detail', '{}'))
    .$call(required('text', 'provenance'))
    .$call(createdNow())
    .execute();
  await db.schema.createIndex('results_run_module').on('results').columns(['run_id', 'degg_serial', 'name']).execute();
  await db.schema.createIndex('results_serial').on('results').columns(['degg_serial', 'created_at']).execute();
}

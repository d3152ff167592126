import type { Kysely } from 'kysely';
import { keyedTable, optional, reference, required, stationRun } from './columns.js';

/**
 * `fat preflight`: one walk through the seed's Quick Check list per row of `preflights` (its run
 * once `run new` has made one), and the result of every step it reached in `preflight_steps`, so a
 * rerun picks up after the last passed step and the Start New Run page shows the checklist.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'preflights')
    .$call(stationRun(reference('run_id', 'runs.id', { nullable: true })))
    .$call(required('text', 'operator', 'started_at', 'state'))
    .$call(optional('text', 'ended_at'))
    .execute();
  await db.schema.createIndex('preflights_station').on('preflights').columns(['station', 'id']).execute();
  await keyedTable(db, 'preflight_steps')
    .$call(reference('preflight_id', 'preflights.id'))
    .$call(required('text', 'step', 'state', 'message', 'data', 'at'))
    .execute();
  await db.schema.createIndex('preflight_steps_walk').on('preflight_steps').columns(['preflight_id', 'id']).execute();
}

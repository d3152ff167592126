import type { Kysely } from 'kysely';

/**
 * `results` keeps one index, (run_id, degg_serial), in place of 0003's two:
 *  - results_serial (degg_serial, created_at) served no query: a module's history finds its runs in
 *    `modules` and reads each run's rows by run and serial;
 *  - results_run_module (run_id, degg_serial, name): no query filters on the name after the serial.
 * Each index entry of a batch of result rows lands beside the rows of its key: a monitoring batch
 * over 16 D-Eggs dirtied ~64 leaf pages of the first index and 16 of the second, now 16 of one
 * (bench/store.ts, README "What bounds the store's monitoring rate").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('results_serial').execute();
  await db.schema.createIndex('results_run_serial').on('results').columns(['run_id', 'degg_serial']).execute();
  await db.schema.dropIndex('results_run_module').execute();
}

import type { Kysely } from 'kysely';

/**
 * What a person must do for a task (a manual input, a freezer set by hand), fixed when the
 * schedule is planned, so `fat status` and the API forecast the next time a person is needed
 * from the store alone, without loading the task catalogue.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tasks').addColumn('person', 'text').execute();
}

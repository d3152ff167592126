import type { Kysely } from 'kysely';
import { defaulted, optional, required } from './columns.js';

/**
 * The original system's run and D-Egg JSON documents live in the store; the files in json/ are
 * exports of them. `version` counts the changes, `exported` the last version written to the file,
 * so a crash between the two is seen, and repaired, at the next start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('json_docs')
    .$call(required('text', 'station', 'path'))
    .$call(optional('integer', 'run_id'))
    .$call(required('text', 'body'))
    .$call(required('integer', 'version'))
    .$call(defaulted('integer', 'exported', 0))
    .addPrimaryKeyConstraint('json_docs_pk', ['station', 'path'])
    .execute();
  await db.schema.createIndex('json_docs_run').on('json_docs').columns(['run_id']).execute();
}

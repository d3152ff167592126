import type { Kysely } from 'kysely';

/**
 * The original system's run and D-Egg JSON documents live in the store; the files in json/ are
 * exports of them. `version` counts the changes, `exported` the last version written to the file,
 * so a crash between the two is seen, and repaired, at the next start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('json_docs')
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('exported', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('json_docs_pk', ['station', 'path'])
    .execute();
  await db.schema.createIndex('json_docs_run').on('json_docs').columns(['run_id']).execute();
}

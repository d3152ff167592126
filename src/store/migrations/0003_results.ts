import { sql, type Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

/** Measurement results judged against the goalposts, one row per measured quantity. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = idColumn(engineOf(db));
  await db.schema
    .createTable('results')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id'))
    .addColumn('task_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('degg_serial', 'text', (c) => c.notNull())
    .addColumn('pmt', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'real')
    .addColumn('units', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('goalposts_version', 'text', (c) => c.notNull())
    .addColumn('folder', 'text')
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('provenance', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
    .execute();
  await db.schema.createIndex('results_run_module').on('results').columns(['run_id', 'degg_serial', 'name']).execute();
  await db.schema.createIndex('results_serial').on('results').columns(['degg_serial', 'created_at']).execute();
}

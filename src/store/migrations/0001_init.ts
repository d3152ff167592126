import { sql, type Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const id = idColumn(engineOf(db));
  const now = sql`CURRENT_TIMESTAMP`;

  await db.schema
    .createTable('stations')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull().references('stations.name'))
    .addColumn('run_number', 'integer', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('run_file', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('runs_station_number', ['station', 'run_number'])
    .execute();

  await db.schema
    .createTable('modules')
    .addColumn('id', 'integer', id)
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id'))
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('wire_pair', 'integer', (c) => c.notNull())
    .addColumn('degg_serial', 'text', (c) => c.notNull())
    .addColumn('icm_id', 'text', (c) => c.notNull())
    .addColumn('fpga_version', 'integer', (c) => c.notNull())
    .addColumn('software_version', 'integer', (c) => c.notNull())
    .addColumn('flash_id', 'text', (c) => c.notNull())
    .addColumn('mainboard_id', 'text', (c) => c.notNull())
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('json_file', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
    .addUniqueConstraint('modules_run_port', ['run_id', 'port'])
    .execute();
  await db.schema.createIndex('modules_serial').on('modules').column('degg_serial').execute();

  await db.schema
    .createTable('instruments')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('check_results')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('reading', 'text', (c) => c.notNull())
    .addColumn('tolerance', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('provenance', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('check_results_run').on('check_results').columns(['run_id', 'check_name']).execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_run_time').on('events').columns(['run_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['events', 'check_results', 'instruments', 'modules', 'runs', 'stations']) {
    await db.schema.dropTable(t).execute();
  }
}

import type { Kysely } from 'kysely';
import { createdNow, defaulted, keyedTable, reference, required, stationRun } from './columns.js';

/** The stations and their runs, each run's modules, the lab's instruments, the checks' results and the event log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const create of [createStations, createRuns, createModules, createInstruments, createCheckResults, createEvents]) {
    await create(db);
  }
}

async function createStations(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stations')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .$call(createdNow())
    .execute();
}

async function createRuns(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'runs')
    .$call(reference('station', 'stations.name', { type: 'text' }))
    .$call(required('integer', 'run_number'))
    .$call(required('text', 'comment', 'date', 'operator', 'run_file'))
    .$call(createdNow())
    .addUniqueConstraint('runs_station_number', ['station', 'run_number'])
    .execute();
}

async function createModules(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'modules')
    .$call(reference('run_id', 'runs.id'))
    .$call(required('integer', 'port', 'wire_pair'))
    .$call(required('text', 'degg_serial', 'icm_id'))
    .$call(required('integer', 'fpga_version', 'software_version'))
    .$call(required('text', 'flash_id', 'mainboard_id', 'registry', 'json_file'))
    .$call(defaulted('text', 'state', 'active'))
    .addUniqueConstraint('modules_run_port', ['run_id', 'port'])
    .execute();
  await db.schema.createIndex('modules_serial').on('modules').column('degg_serial').execute();
}

async function createInstruments(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'instruments')
    .$call(stationRun())
    .$call(required('text', 'kind', 'name', 'address', 'identity', 'seen_at'))
    .execute();
}

async function createCheckResults(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'check_results')
    .$call(stationRun())
    .$call(required('text', 'check_name', 'subject', 'reading', 'tolerance', 'verdict', 'message', 'provenance', 'created_at'))
    .execute();
  await db.schema.createIndex('check_results_run').on('check_results').columns(['run_id', 'check_name']).execute();
}

async function createEvents(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'events')
    .$call(stationRun())
    .$call(required('text', 'time', 'level', 'kind', 'message', 'data'))
    .execute();
  await db.schema.createIndex('events_run_time').on('events').columns(['run_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['events', 'check_results', 'instruments', 'modules', 'runs', 'stations']) {
    await db.schema.dropTable(t).execute();
  }
}

import { sql, type Kysely } from 'kysely';
import { engineOf, textNow } from '../dialect.js';
import { defaulted, keyedTable, optional, reference, required, stationRun } from './columns.js';

/**
 * Makes PostgreSQL keep what SQLite keeps, and adds the tables of `fat store copy` and `fat import`.
 *
 * On PostgreSQL, `real` is a 4-byte float (7 digits: a gain of 1.2345678e7 would come back changed)
 * where SQLite stores 8 bytes, so every `real` column becomes `double precision`; and a text column
 * defaulting to CURRENT_TIMESTAMP would read '2026-11-28 00:12:25.123456+00', so it gets SQLite's
 * text ('2026-11-28 00:12:25') instead. Both are done for every table that exists at this point,
 * the migrations of other features before this one included.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const engine = engineOf(db);
  if (engine === 'postgres') {
    const reals = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type = 'real'`.execute(db);
    for (const c of reals.rows) {
      await sql`alter table ${sql.id(c.table_name)} alter column ${sql.id(c.column_name)} type double precision`.execute(db);
    }
    const stamped = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type = 'text' and column_default ilike '%current_timestamp%'`.execute(db);
    for (const c of stamped.rows) {
      await sql`alter table ${sql.id(c.table_name)} alter column ${sql.id(c.column_name)}
        set default ${textNow('postgres')}`.execute(db);
    }
  }

  // `fat store copy`: which source row became which target row, so a second copy adds nothing
  await db.schema
    .createTable('copy_ledger')
    .$call(required('text', 'source', 'table_name', 'source_id', 'target_id', 'copied_at'))
    .addPrimaryKeyConstraint('copy_ledger_pk', ['source', 'table_name', 'source_id'])
    .execute();

  // `fat import`: every entry of the original system's JSON files, verbatim
  await keyedTable(db, 'imported_entries')
    .$call(stationRun(reference('run_id', 'runs.id', { nullable: true })))
    .$call(optional('text', 'degg_serial'))
    /** 'LowerPmt', 'UpperPmt', or '' (a key per run, module or D-Egg-level entry) */
    .$call(defaulted('text', 'pmt', ''))
    /** 'run' (the whole run file), 'module' (the whole D-Egg file) or 'entry' (one measurement entry) */
    .$call(required('text', 'level'))
    /** the entry's key, e.g. GainMeasurement_03 ('' for the whole run or module record) */
    .$call(required('text', 'entry_key'))
    .$call(required('text', 'source_file', 'raw', 'imported_at'))
    .addUniqueConstraint('imported_entries_key', ['station', 'source_file', 'level', 'pmt', 'entry_key'])
    .execute();
  await db.schema.createIndex('imported_entries_serial').on('imported_entries').columns(['degg_serial', 'entry_key']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('imported_entries').execute();
  await db.schema.dropTable('copy_ledger').execute();
}

import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { engineOf } from './dialect.js';
import pg from 'pg';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/**
 * Opens the store named by `url` and brings its schema up to date.
 *   sqlite:/abs/path/fat.db (or a bare path)   the default, one file in the home folder
 *   postgres://user@host:5432/db                several stations sharing one database
 */
export async function openStore(url: string): Promise<Db> {
  const db = url.startsWith('postgres://') || url.startsWith('postgresql://') ? openPostgres(url) : openSqlite(url);
  await migrate(db);
  return db;
}

function openSqlite(url: string): Db {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file);
  } catch (e) {
    throw new Error(`cannot open the SQLite store ${file || '(no file named)'}: ${(e as Error).message}`, { cause: e });
  }
  // WAL lets the dashboard and `fat status` read while the master writes; a busy timeout rides
  // out the short write locks of another process instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // an idle connection dropped by the server (a restart, a network cut) must not end the process:
  // the pool replaces it, and a query that needed it fails with its own error
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export async function migrate(db: Db): Promise<void> {
  // Kysely looks for its migration tables in every schema it can see; on PostgreSQL they must be
  // the ones of our own schema (the URL's search_path), or a second station or test in another
  // schema of the same database would make it skip or break our migrations.
  const migrationTableSchema =
    engineOf(db as unknown as Kysely<unknown>) === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`the store's schema could not be brought up to date (migration ${failed?.migrationName ?? '?'}): ${String(error)}`);
  }
}

export function nowIso(ms = Date.now()): string {
  return new Date(ms).toISOString();
}

/** Reads a JSON column written by icefat; a corrupt value is an error naming the column. */
export function parseJson<T = unknown>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`corrupt JSON in ${what}: ${(e as Error).message}`, { cause: e });
  }
}

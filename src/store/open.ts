import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { openSqliteFile, type SqliteDatabase } from './sqlite-engine.js';
import { YieldingSqliteDialect } from './sqlite-yielding.js';
import { SAFETY_NET_PAGES, SQLITE_DEFAULT_PAGES, startCheckpointer } from './sqlite-checkpointer.js';
import { engineOf } from './dialect.js';
import { prepareRepeated } from './pg-prepared.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/**
 * Opens the store named by `url` and brings its schema up to date.
 *   sqlite:/abs/path/fat.db (or a bare path)   the default, one file in the home folder
 *   postgres://user@host:5432/db                several stations sharing one database
 */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Db> {
  const db = url.startsWith('postgres://') || url.startsWith('postgresql://') ? await openPostgres(url) : openSqlite(url, opts);
  if (!(await upToDate(db))) await migrate(db);
  return db;
}

export interface StoreOptions {
  /**
   * For a long-running writer (the master): SQLite's WAL checkpoints in a thread of their own
   * (sqlite-checkpointer.ts), not inside the commits of this process. PostgreSQL checkpoints in
   * its own processes anyway.
   */
  checkpointInBackground?: boolean;
}

function openSqlite(url: string, opts: StoreOptions): Db {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  let sqlite: SqliteDatabase | undefined;
  try {
    sqlite = openSqliteFile(file);
    // WAL lets the dashboard and `fat status` read while the master writes; another process's write
    // lock is waited out asynchronously (sqlite-yielding.ts), never by SQLite's own sleeping busy
    // handler, which would freeze instrument I/O (a short one stays for the pragmas below). The
    // first statement is also where a file that is no database says so.
    sqlite.exec('PRAGMA busy_timeout = 1000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL');
    sqlite.exec('PRAGMA busy_timeout = 0');
  } catch (e) {
    sqlite?.close();
    throw new Error(`cannot open the SQLite store ${file || '(no file named)'}: ${(e as Error).message}`, { cause: e });
  }
  let stopCheckpoints: (() => Promise<void>) | undefined;
  if (opts.checkpointInBackground) {
    const db = sqlite;
    db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    // without the worker, SQLite's own checkpoints as usual
    const checkpointer = startCheckpointer(file, db.library, () => {
      try {
        db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
      } catch {
        // closed already
      }
    });
    stopCheckpoints = () => checkpointer.stop();
  }
  return new Kysely<Database>({ dialect: new YieldingSqliteDialect({ database: sqlite }, file, stopCheckpoints) });
}

async function openPostgres(url: string): Promise<Db> {
  // loaded only here: a SQLite station's commands never pay for the driver
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // an idle connection dropped by the server (a restart, a network cut) must not end the process:
  // the pool replaces it, and a query that needed it fails with its own error
  pool.on('error', () => undefined);
  pool.on('connect', prepareRepeated);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * True when every migration has run already: the common case, checked with one read so that
 * commands like `fat status` neither pay for the migrator nor take its write lock.
 */
async function upToDate(db: Db): Promise<boolean> {
  try {
    const schema = await migrationSchema(db);
    const table = schema ? sql`${sql.id(schema)}.kysely_migration` : sql`kysely_migration`;
    const done = await sql<{ name: string }>`select name from ${table}`.execute(db);
    const names = new Set(done.rows.map((r) => r.name));
    return Object.keys(await migrationProvider.getMigrations()).every((n) => names.has(n));
  } catch {
    return false; // a new store: no migration table yet
  }
}

/**
 * Kysely looks for its migration tables in every schema it can see; on PostgreSQL they must be
 * the ones of our own schema (the URL's search_path), or a second station or test in another
 * schema of the same database would make it skip or break our migrations.
 */
async function migrationSchema(db: Db): Promise<string | undefined> {
  return engineOf(db as unknown as Kysely<unknown>) === 'postgres'
    ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
    : undefined;
}

export async function migrate(db: Db): Promise<void> {
  const migrationTableSchema = await migrationSchema(db);
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

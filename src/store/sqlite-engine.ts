import { createRequire } from 'node:module';

/**
 * The SQLite library under the store: Node's built-in `node:sqlite` where Node has it (22.13 and
 * later, so every Node a lab installs today), better-sqlite3 on Node 20. Why two: better-sqlite3
 * 12 (the last for Node 20) wraps its statements in node::ObjectWrap, whose destructor aborts the
 * whole process on Node 24.19 and later when a statement is garbage-collected (nodejs/node#65446);
 * better-sqlite3 13 fixes that but needs Node 22. Both are driven through the one small surface
 * below, which is what Kysely's SqliteDialect needs (a snapshot's copy: sqlite-backup.ts).
 */
export interface SqliteStatement {
  readonly reader: boolean;
  all(parameters: ReadonlyArray<unknown>): unknown[];
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown>;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
  /** 'node:sqlite' or 'better-sqlite3' */
  readonly library: string;
}

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/** The part of node:sqlite used here (its types are not in @types/node 20). */
interface Native {
  DatabaseSync: new (file: string) => {
    prepare(sql: string): {
      columns(): unknown[];
      all(...p: Param[]): unknown[];
      run(...p: Param[]): { changes: number | bigint; lastInsertRowid: number | bigint };
      iterate(...p: Param[]): IterableIterator<unknown>;
    };
    exec(sql: string): void;
    close(): void;
  };
}

let native: Native | null | undefined;
function nodeSqlite(): Native | null {
  if (native === undefined) {
    try {
      // node:sqlite is missing on Node 20; require() tells without an unhandled rejection
      native = createRequire(import.meta.url)('node:sqlite') as Native;
    } catch {
      native = null;
    }
  }
  return native;
}

/** how many prepared statements a connection keeps (the store's queries are a few dozen texts) */
const STATEMENT_CACHE = 100;

/**
 * Prepared statements kept by their SQL text, the least recently used dropped first: Kysely
 * prepares every query it runs, and preparing costs as much as running an insert of a few rows
 * (bench/store.ts). A statement being iterated cannot run anything else meanwhile, so `iterate`
 * (Kysely's streamQuery) always prepares one of its own.
 */
function statementCache(prepare: (sql: string) => SqliteStatement): (sql: string) => SqliteStatement {
  const kept = new Map<string, SqliteStatement>();
  return (sql) => {
    let s = kept.get(sql);
    if (s) kept.delete(sql);
    else {
      const st = prepare(sql);
      s = { reader: st.reader, all: (p) => st.all(p), run: (p) => st.run(p), iterate: (p) => prepare(sql).iterate(p) };
      if (kept.size >= STATEMENT_CACHE) kept.delete(kept.keys().next().value as string);
    }
    kept.set(sql, s);
    return s;
  };
}

function openNative(lib: Native, file: string, mustExist: boolean): SqliteDatabase {
  if (mustExist) requireFile(file);
  const db = new lib.DatabaseSync(file);
  return {
    library: 'node:sqlite',
    prepare: statementCache((sql) => {
      const s = db.prepare(sql);
      return {
        reader: s.columns().length > 0,
        all: (p) => s.all(...(p as Param[])),
        run: (p) => s.run(...(p as Param[])),
        iterate: (p) => s.iterate(...(p as Param[])),
      };
    }),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

function openBetter(file: string, mustExist: boolean): SqliteDatabase {
  const Better = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Better(file, { fileMustExist: mustExist });
  return {
    library: 'better-sqlite3',
    prepare: statementCache((sql) => {
      const s = db.prepare(sql);
      return {
        reader: s.reader,
        all: (p) => s.all(...p),
        run: (p) => s.run(...p),
        iterate: (p) => s.iterate(...p),
      };
    }),
    exec: (sql) => void db.exec(sql),
    close: () => void db.close(),
  };
}

function requireFile(file: string): void {
  // node:sqlite has no fileMustExist: opening would create an empty database
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  if (!fs.existsSync(file)) throw new Error(`unable to open database file: ${file} does not exist`);
}

/** The SQLite library this Node uses: 'node:sqlite' or 'better-sqlite3'. */
export function sqliteLibrary(): string {
  return nodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

/** Opens `file` with the library this Node should use. */
export function openSqliteFile(file: string, opts: { mustExist?: boolean } = {}): SqliteDatabase {
  const lib = nodeSqlite();
  return lib ? openNative(lib, file, Boolean(opts.mustExist)) : openBetter(file, Boolean(opts.mustExist));
}

/** SQLITE_FULL (the disk or the quota is full) of either library. */
export function isFullError(e: unknown): boolean {
  const err = e as { code?: unknown; errcode?: unknown } | null;
  return err?.code === 'SQLITE_FULL' || (typeof err?.errcode === 'number' && (err.errcode & 0xff) === 13);
}

/** A "database is locked" error of either library (SQLITE_BUSY, SQLITE_LOCKED and their extended codes). */
export function isLockedError(e: unknown): boolean {
  const err = e as { code?: unknown; errcode?: unknown } | null;
  if (typeof err?.code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(err.code)) return true;
  return typeof err?.errcode === 'number' && ((err.errcode & 0xff) === 5 || (err.errcode & 0xff) === 6);
}

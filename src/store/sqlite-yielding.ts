import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';
import path from 'node:path';
import { DiskFullError, freeBytes } from '../util/disk-space.js';
import { isFullError, isLockedError } from './sqlite-engine.js';

/**
 * SQLite for a process that also talks to instruments. better-sqlite3 is synchronous, and
 * SQLite's own busy handler sleeps inside the call: a write lock held by another process (a
 * backup, a second `fat`, an analyst's sqlite3 shell) would freeze the event loop for up to the
 * busy timeout, and every instrument timer would fire late and blame a D-Egg. So the connection
 * runs with no busy timeout, and a statement that finds the store locked is tried again after an
 * asynchronous wait, instrument I/O going on meanwhile. Transactions start with BEGIN IMMEDIATE
 * (taken the same way), so no statement inside one meets a lock it cannot wait out. A lock held
 * for longer than LOCK_WAIT_MS ($FAT_STORE_LOCK_WAIT_MS, default 60 s) is a store error that says so.
 */
export const LOCK_WAIT_MS = Number(process.env.FAT_STORE_LOCK_WAIT_MS) || 60_000;

export class StoreLockedError extends Error {
  constructor(file: string, waitedMs: number, sql: string) {
    super(
      `the store ${file} stayed locked by another process for ${Math.round(waitedMs / 1000)} s (at "${sql.slice(0, 60)}"): ` +
        'find what holds it (a backup, an sqlite3 shell, a second station on the same file) and let it finish',
    );
    this.name = 'StoreLockedError';
  }
}

async function whenUnlocked<T>(file: string, sql: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let waitMs = 2; ; waitMs = Math.min(100, waitMs * 2)) {
    try {
      return await run();
    } catch (e) {
      if (!isLockedError(e)) throw e;
      if (Date.now() - started > LOCK_WAIT_MS) throw new StoreLockedError(file, Date.now() - started, sql);
      // wall: the lock is held by another process (a real one, whatever clock this one runs on)
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

class YieldingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly file: string,
  ) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await whenUnlocked(this.file, q.sql, () => this.inner.executeQuery<R>(q));
    } catch (e) {
      throw isFullError(e) ? new DiskFullError(this.file, freeBytes(path.dirname(this.file)), e) : e;
    }
  }

  streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(q, chunkSize);
  }
}

class YieldingDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, YieldingConnection>();
  private readonly innerOf = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly file: string,
    private readonly afterDestroy?: () => Promise<void>,
  ) {}

  init = () => this.inner.init();
  destroy = async () => {
    await this.inner.destroy();
    await this.afterDestroy?.();
  };

  async acquireConnection(): Promise<DatabaseConnection> {
    const c = await this.inner.acquireConnection();
    let w = this.wrapped.get(c);
    if (!w) {
      w = new YieldingConnection(c, this.file);
      this.wrapped.set(c, w);
      this.innerOf.set(w, c);
    }
    return w;
  }

  releaseConnection = (c: DatabaseConnection) => this.inner.releaseConnection(this.innerOf.get(c) ?? c);

  async beginTransaction(c: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await c.executeQuery(CompiledQuery.raw('rollback'));
    } catch (e) {
      // SQLite rolls back by itself on some errors (a full disk): the error that caused it is the one to report
      if (!/no transaction is active/.test(String((e as Error).message))) throw e;
    }
  }
}

export class YieldingSqliteDialect extends SqliteDialect {
  /** `afterDestroy`: what else ends with the connection (the checkpoint worker) */
  constructor(
    config: SqliteDialectConfig,
    private readonly file: string,
    private readonly afterDestroy?: () => Promise<void>,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new YieldingDriver(super.createDriver(), this.file, this.afterDestroy);
  }
}

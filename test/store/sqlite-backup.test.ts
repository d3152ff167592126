import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqliteFile } from '../../src/store/sqlite-backup.js';
import { isFullError, sqliteLibrary } from '../../src/store/sqlite-engine.js';
import { turnsDuring } from '../helpers/event-loop.js';

/**
 * The copy of the store that every backup snapshot holds (engine/backup.ts) is made in a thread of
 * its own: a whole two-week store copied in one step no longer holds the master's event loop, and
 * what goes wrong still says what and where.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-sqlite-backup-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function store(file: string, rows: number): void {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (id integer primary key, body text)');
  const ins = db.prepare('insert into t (body) values (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(`${i} ${'x'.repeat(1000)}`);
  })();
  db.close();
}

describe('the copy of a SQLite store', () => {
  it('is made while the event loop turns, complete, checked and without a WAL', async () => {
    const source = path.join(dir, 'big.db');
    store(source, 40_000); // ~40 MB
    const target = path.join(dir, 'big-copy.db');
    // copied on the event loop, it turned about a dozen times (between the backup's own steps)
    expect(await turnsDuring(backupSqliteFile(source, target, sqliteLibrary()))).toBeGreaterThan(1000);
    const copy = new SQLite(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(copy.prepare('select count(*) n, max(id) m from t').get()).toEqual({ n: 40_000, m: 40_000 });
    } finally {
      copy.close();
    }
    expect(fs.existsSync(`${target}-wal`)).toBe(false);
  });

  it('of a store that is not there names it and creates nothing', async () => {
    const missing = path.join(dir, 'none.db');
    await expect(backupSqliteFile(missing, path.join(dir, 'none-copy.db'), sqliteLibrary())).rejects.toThrow(missing);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('onto a full disk fails as a full disk, naming both files', async () => {
    const source = path.join(dir, 'mid.db');
    store(source, 4000); // ~4 MB
    const full = path.join(dir, 'full');
    fs.mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full]);
    try {
      const target = path.join(full, 'copy.db');
      const failure = await backupSqliteFile(source, target, sqliteLibrary()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(isFullError(failure)).toBe(true);
      expect((failure as Error).message).toContain(source);
      expect((failure as Error).message).toContain(target);
    } finally {
      execFileSync('umount', ['-l', full]);
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteFile, type SqliteDatabase } from '../../src/store/sqlite-engine.js';

/**
 * The SQLite connection keeps prepared statements by their SQL text (Kysely prepares every query
 * it runs): a kept statement answers like a fresh one, also after the table changed, after
 * being pushed out by many others, and while the same query is being iterated.
 */
let db: SqliteDatabase | undefined;
let dir: string | undefined;
afterEach(() => {
  db?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

function open(): SqliteDatabase {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-stmt-cache-'));
  db = openSqliteFile(path.join(dir, 'fat.db'));
  db.exec('create table t (id integer primary key, name text)');
  const insert = db.prepare('insert into t (name) values (?)');
  for (let i = 1; i <= 5; i++) insert.run([`n${i}`]);
  return db;
}

describe(`kept SQLite statements (${process.versions.node})`, () => {
  it('a kept statement reads what the table holds now, also its new columns', () => {
    const d = open();
    expect(d.prepare('select * from t order by id').all([])).toHaveLength(5);
    d.exec("alter table t add column extra text default 'x'");
    d.prepare('insert into t (name) values (?)').run(['n6']);
    const rows = d.prepare('select * from t order by id').all([]) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(6);
    expect(rows[5]).toEqual({ id: 6, name: 'n6', extra: 'x' });
  });

  it('answers right after hundreds of other statements pushed it out', () => {
    const d = open();
    const first = 'select name from t where id = ?';
    expect(d.prepare(first).all([2])).toEqual([{ name: 'n2' }]);
    for (let i = 0; i < 300; i++)
      expect(d.prepare(`select ${i} as k, name from t where id = ?`).all([(i % 5) + 1])).toEqual([{ k: i, name: `n${(i % 5) + 1}` }]);
    expect(d.prepare(first).all([3])).toEqual([{ name: 'n3' }]);
    expect(d.prepare(first).reader).toBe(true);
    expect(d.prepare('insert into t (name) values (?)').reader).toBe(false);
  });

  it('runs a query while the same query is being iterated', () => {
    const d = open();
    const sql = 'select id, name from t where id >= ? order by id';
    const seen: unknown[] = [];
    for (const r of d.prepare(sql).iterate([1])) {
      seen.push(r);
      expect(d.prepare(sql).all([4])).toEqual([
        { id: 4, name: 'n4' },
        { id: 5, name: 'n5' },
      ]);
    }
    expect(seen).toHaveLength(5);
  });
});

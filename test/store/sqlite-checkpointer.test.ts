import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/open.js';
import { SAFETY_NET_PAGES, SQLITE_DEFAULT_PAGES, startCheckpointer } from '../../src/store/sqlite-checkpointer.js';
import { openSqliteFile } from '../../src/store/sqlite-engine.js';
import { waitFor } from '../helpers/master.js';

/**
 * A long-running writer's WAL checkpoints run in a worker (src/store/sqlite-checkpointer.ts): the
 * committed pages reach the database file while the writer goes on, without it checkpointing
 * them itself, and the worker ends with the store.
 */
let dir: string | undefined;
let db: Db | undefined;
afterEach(async () => {
  await db?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

async function store(opts: { checkpointInBackground?: boolean }) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-checkpointer-'));
  const file = path.join(dir, 'fat.db');
  db = await openStore(`sqlite:${file}`, opts);
  return { db, file };
}

/** ~2 MB in 100 commits, below SQLite's own checkpoint threshold (1000 pages, ~4 MB) */
async function write2Mb(d: Db) {
  await sql`create table blobs (id integer primary key, body text)`.execute(d);
  for (let i = 0; i < 100; i++) await sql`insert into blobs (body) values (${`${i}`.padEnd(20_000, 'x')})`.execute(d);
}

const autocheckpoint = async (d: Db) =>
  (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(d)).rows[0].wal_autocheckpoint;

describe('SQLite checkpoints in a worker', () => {
  it('the pages a writer commits reach the database file while it goes on writing; its own checkpoint is only a far safety net', async () => {
    const { db: d, file } = await store({ checkpointInBackground: true });
    expect(await autocheckpoint(d)).toBe(SAFETY_NET_PAGES);
    await write2Mb(d);
    // only a checkpoint copies pages from the WAL into the database file
    await waitFor('the database file to hold the 2 MB', () => fs.statSync(file).size > 2_000_000, 20_000, 50);
    expect((await sql<{ n: number }>`select count(*) as n from blobs`.execute(d)).rows[0].n).toBe(100);
    await d.destroy();
    db = undefined;
    // what was written is all there for the next reader
    const again = openSqliteFile(file, { mustExist: true });
    try {
      expect(again.prepare('select count(*) as n, sum(length(body)) as bytes from blobs').all([])).toEqual([{ n: 100, bytes: 2_000_000 }]);
    } finally {
      again.close();
    }
  });

  it('without it (every command but the master) the pages stay in the WAL until SQLite checkpoints them itself', async () => {
    const { db: d, file } = await store({});
    expect(await autocheckpoint(d)).toBe(SQLITE_DEFAULT_PAGES);
    await write2Mb(d);
    expect(fs.statSync(file).size).toBeLessThan(500_000);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);
  });

  it('a worker that cannot open the store says so, so that the writer takes its checkpoints back', async () => {
    const probe = openSqliteFile(':memory:');
    const library = probe.library;
    probe.close();
    let c: ReturnType<typeof startCheckpointer> | undefined;
    const gone = new Promise<Error>((resolve) => (c = startCheckpointer('/nonexistent-icefat-dir/fat.db', library, resolve)));
    expect((await gone).message).toMatch(/unable to open|no such file|does not exist/i);
    await c!.stop();
  });
});

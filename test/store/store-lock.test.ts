import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';

/**
 * Another process holding the store's write lock (issue 13, item 2): our writes wait for it
 * without freezing the event loop (instrument timers keep firing), and a lock that outlasts the
 * wait is a store error naming the file, not a timeout blamed on an instrument.
 */
const REPO = path.resolve(import.meta.dirname, '../..');

/** A second process that takes BEGIN EXCLUSIVE on `file`, says "locked", and commits after `holdMs`. */
function holdLock(file: string, holdMs: number): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); db.exec('BEGIN EXCLUSIVE');
       db.exec("insert into stations (name) values ('holder')"); console.log('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});`,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve({ child, exited }));
    child.on('exit', (code) => reject(new Error(`the lock holder exited ${code} before locking`)));
  });
}

/** The longest gap between 10 ms timer ticks while `fn` runs. */
async function maxTimerGapMs<T>(fn: () => Promise<T>): Promise<{ value: T; gapMs: number }> {
  let last = performance.now();
  let gapMs = 0;
  const t = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 10);
  try {
    const value = await fn();
    // a tick late because the loop was frozen fires only now: let it
    await new Promise((r) => setTimeout(r, 30));
    return { value, gapMs };
  } finally {
    clearInterval(t);
  }
}

describe('the SQLite store locked by another process', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function store() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-lock-'));
    const file = path.join(dir, 'fat.db');
    const db = await openStore(`sqlite:${file}`);
    cleanups.push(async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { db, file };
  }

  it('a write waits for a 2 s lock while timers keep firing', async () => {
    const { db, file } = await store();
    const holder = await holdLock(file, 2000);
    const t0 = performance.now();
    const { gapMs } = await maxTimerGapMs(() =>
      db.transaction().execute((tx) => tx.insertInto('stations').values({ name: 'ours' }).execute()),
    );
    const waitedMs = performance.now() - t0;
    await holder.exited;
    expect(waitedMs, 'the write waited for the lock').toBeGreaterThan(1000);
    // SQLite's own busy handler would have slept through the whole lock: a 2000 ms gap
    expect(gapMs, 'the event loop kept turning').toBeLessThan(500);
    const names = (await db.selectFrom('stations').select('name').execute()).map((r) => r.name).sort();
    expect(names).toEqual(['holder', 'ours']);
  });

  it('a lock held longer than the wait is a store error naming the file', async () => {
    const { file } = await store();
    const holder = await holdLock(file, 4000);
    cleanups.push(() => void holder.child.kill());
    // the limit is read when the module loads: a child process with a short one tries to write
    const r = await new Promise<{ code: number; err: string }>((resolve) => {
      const c = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `const { openStore } = await import(${JSON.stringify(path.join(REPO, 'src/store/open.ts'))});
           const db = await openStore(${JSON.stringify(`sqlite:${file}`)});
           await db.insertInto('stations').values({ name: 'late' }).execute();`,
        ],
        { cwd: REPO, env: { ...process.env, FAT_STORE_LOCK_WAIT_MS: '500' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => resolve({ code: code ?? 1, err }));
    });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`the store ${file} stayed locked by another process`);
  });
});

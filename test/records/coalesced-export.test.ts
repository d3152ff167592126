import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { CoalescedExports } from '../../src/records/coalesced-export.js';
import { changeDoc, exportPending, insertDocs, updateDoc } from '../../src/records/json-docs.js';
import { freshStore, workspaceOn } from '../helpers/pg-schema.js';
import { waitFor } from '../helpers/master.js';

/**
 * The master's exports of the run and D-Egg files: a change is written at once when no file was
 * written for an interval, else by the end of that interval together with what else changed; a
 * flush writes everything pending; a write that fails stays pending and nothing is lost.
 */
const onDisk = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;

describe('coalesced exports of the JSON files', () => {
  let store: { url: string; drop(): Promise<void> };
  let ws: Workspace;
  beforeAll(async () => {
    store = await freshStore('sqlite', 'coalesced-export');
    ws = await workspaceOn(store.url, 'coalesced');
  });
  afterAll(async () => {
    await ws?.close();
    await store?.drop();
  });

  /** a document in the store whose changes are committed without their export, as the engine commits a task's record */
  async function doc(name: string) {
    const f = path.join(ws.home.jsonDir, `${name}.json`);
    await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { n: 0 }, runId: 1 }]);
    const commit = (n: number) => ws.db.transaction().execute((tx) => changeDoc(tx, ws, f, (d) => (d.n = n)));
    return { f, commit };
  }

  it('writes the first change at once, and later ones within the interval by its end, the last state only', async () => {
    const errors: unknown[] = [];
    const exports = new CoalescedExports(ws, (e) => errors.push(e), 1000);
    const a = await doc('a');
    await a.commit(1);
    await exports.changed([a.f]);
    expect(onDisk(a.f)).toEqual({ n: 1 });

    await a.commit(2);
    await exports.changed([a.f]);
    await a.commit(3);
    await exports.changed([a.f]);
    // within the interval the file lags the store ...
    expect(onDisk(a.f)).toEqual({ n: 1 });
    // ... and catches up by itself at its end
    await waitFor('the coalesced write', () => onDisk(a.f).n === 3, 10_000, 20);
    expect(errors).toEqual([]);
  });

  it('flush writes every pending file at once (the end of a schedule, a pause, a stop, a backup)', async () => {
    const exports = new CoalescedExports(ws, () => undefined, 60_000);
    const b = await doc('b');
    const c = await doc('c');
    await b.commit(1);
    await exports.changed([b.f]);
    await b.commit(2);
    await c.commit(5);
    await exports.changed([b.f, c.f]);
    expect(onDisk(b.f)).toEqual({ n: 1 });
    expect(fs.existsSync(c.f)).toBe(false);
    await exports.flush();
    expect(onDisk(b.f)).toEqual({ n: 2 });
    expect(onDisk(c.f)).toEqual({ n: 5 });
  });

  it('a write that fails stays pending, is reported by settle, and the store still has the change for the next master', async () => {
    const errors: unknown[] = [];
    const exports = new CoalescedExports(ws, (e) => errors.push(e), 60_000);
    // a file where the folder of the document should be: its write fails
    const blocked = path.join(ws.home.jsonDir, 'blocked');
    fs.writeFileSync(blocked, 'not a folder');
    const f = path.join(blocked, 'd.json');
    await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { n: 1 }, runId: 1 }]);
    await expect(exports.changed([f])).rejects.toThrow();
    await exports.settle();
    expect(errors).toHaveLength(1);
    // once the folder can be made, the next flush writes it
    fs.rmSync(blocked);
    await exports.flush();
    expect(onDisk(f)).toEqual({ n: 1 });
    expect(await exportPending(ws)).toBe(0);
  });

  it('a flush of many files writes them a few at a time: one that fails stays pending, every other is written, no temporary file is left', async () => {
    const exports = new CoalescedExports(ws, () => undefined, 60_000);
    const docs = await Promise.all(Array.from({ length: 9 }, (_, i) => doc(`many_${i}`)));
    for (const [i, d] of docs.entries()) await d.commit(100 + i);
    const blocked = path.join(ws.home.jsonDir, 'blocked_many');
    fs.writeFileSync(blocked, 'not a folder');
    const bad = path.join(blocked, 'd.json');
    await insertDocs(ws.db, ws.station.name, [{ path: bad, doc: { n: 1 }, runId: 1 }]);
    const files = docs.map((d) => d.f);
    files.splice(4, 0, bad);
    await expect(exports.changed(files)).rejects.toThrow(blocked);
    for (const [i, d] of docs.entries()) expect(onDisk(d.f)).toEqual({ n: 100 + i });
    expect(fs.readdirSync(ws.home.jsonDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    fs.rmSync(blocked);
    await exports.flush();
    expect(onDisk(bad)).toEqual({ n: 1 });
    expect(await exportPending(ws)).toBe(0);
  });

  it('a change another writer exported meanwhile is not written twice', async () => {
    const exports = new CoalescedExports(ws, () => undefined, 60_000);
    const e = await doc('e');
    await exports.changed([e.f]); // version 1 written
    await updateDoc(ws, e.f, (d) => (d.n = 9)); // written by updateDoc itself
    const before = fs.statSync(e.f).mtimeMs;
    await exports.changed([e.f]);
    await exports.flush();
    expect(onDisk(e.f)).toEqual({ n: 9 });
    expect(fs.statSync(e.f).mtimeMs).toBe(before);
  });
});

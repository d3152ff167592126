import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { maxRunNumberOnDisk, runFilePath, runJsonBody } from '../../src/records/run-files.js';
import { addEntry, supersedeTaskEntries } from '../../src/records/entries.js';
import {
  changeDoc,
  committedDoc,
  exportDoc,
  exportPending,
  insertDocs,
  peekDoc,
  readDoc,
  updateDoc,
  viewDoc,
  type JsonDoc,
} from '../../src/records/json-docs.js';
import { hvSetPoint, pmtSerialOf } from '../../src/tasks/pmt-json.js';
import type { Engine } from '../../src/store/dialect.js';
import { freshStore, workspaceOn } from '../helpers/pg-schema.js';

/**
 * The run and D-Egg documents live in the store; the files in json/ are their exports. Both
 * engines: SQLite (one station) and PostgreSQL (several stations, row locks for concurrent changes).
 */
const onDisk = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
const stored = async (ws: Workspace, f: string) =>
  ws.db.selectFrom('json_docs').select(['body', 'version', 'exported']).where('path', '=', f).executeTakeFirstOrThrow();

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`run and D-Egg documents (${engine})`, () => {
    let store: { url: string; drop(): Promise<void> };
    let ws: Workspace;
    beforeAll(async () => {
      store = await freshStore(engine, 'json-docs');
      ws = await workspaceOn(store.url, 'docs');
    });
    afterAll(async () => {
      await ws?.close();
      await store?.drop();
    });

    it('a new run file is stored and exported in the original layout, and counts for the next run number', async () => {
      const f = runFilePath(ws.home.jsonDir, 7);
      await insertDocs(ws.db, ws.station.name, [
        { path: f, doc: runJsonBody({ 'DEgg2026-1-001': '/x.json' }, 'batch', '2026-11-27'), runId: 7 },
      ]);
      expect(fs.existsSync(f)).toBe(false); // written only once the caller's transaction has committed
      await exportDoc(ws, f);
      expect(path.basename(f)).toBe('run_00007.json');
      expect(onDisk(f)).toEqual({ 'DEgg2026-1-001': '/x.json', comment: 'batch', date: '2026-11-27' });
      expect(maxRunNumberOnDisk(ws.home.jsonDir)).toBe(7);
      expect(await stored(ws, f)).toMatchObject({ version: 1, exported: 1 });
    });

    it('entries get the next free counter, also when added at once; the file follows the store', async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-001.json');
      await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { LowerPmt: {}, UpperPmt: {} }, runId: 7 }]);
      const keys = await Promise.all(
        Array.from({ length: 8 }, (_, i) => addEntry(ws, f, 'LaserVisibilityMeasurement', { Folder: `f${i}`, TaskId: 3 }, 'LowerPmt')),
      );
      expect(keys.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `LaserVisibilityMeasurement_0${i}`));
      expect(await addEntry(ws, f, 'ReadoutOnly', { TaskId: 4 })).toBe('ReadoutOnly_00');
      const doc = await readDoc(ws, f);
      expect(Object.keys(doc.LowerPmt as object)).toHaveLength(8);
      expect(onDisk(f)).toEqual(doc);
      expect(await stored(ws, f)).toMatchObject({ version: 10, exported: 10 });

      expect((await updateDoc(ws, f, (doc) => supersedeTaskEntries(doc, 3, 'cut short'))).sort()).toEqual(
        keys.map((k) => `LowerPmt.${k}`).sort(),
      );
      expect((onDisk(f).LowerPmt as Record<string, { Superseded?: string }>).LaserVisibilityMeasurement_03.Superseded).toBe('cut short');
    });

    it('a file from before the store held documents is taken in as it is; a corrupt one is named and left untouched', async () => {
      const old = path.join(ws.home.jsonDir, 'run_00001', 'DEgg2020-1-001.json');
      fs.mkdirSync(path.dirname(old), { recursive: true });
      fs.writeFileSync(old, JSON.stringify({ LowerPmt: { HV1e7Gain: 1480 }, UpperPmt: {} }));
      expect(await peekDoc(ws, old)).toEqual({ LowerPmt: { HV1e7Gain: 1480 }, UpperPmt: {} });
      expect(await addEntry(ws, old, 'GainMeasurement', { Folder: 'g' }, 'LowerPmt')).toBe('GainMeasurement_00');
      expect(onDisk(old)).toEqual({ LowerPmt: { HV1e7Gain: 1480, GainMeasurement_00: { Folder: 'g' } }, UpperPmt: {} });

      const bad = path.join(ws.home.jsonDir, 'run_00001', 'DEgg2020-1-002.json');
      fs.writeFileSync(bad, '{"LowerPmt": {');
      await expect(addEntry(ws, bad, 'X', {}, 'LowerPmt')).rejects.toThrow(/not valid JSON.*left untouched/);
      expect(fs.readFileSync(bad, 'utf8')).toBe('{"LowerPmt": {');
      expect(await peekDoc(ws, path.join(ws.home.jsonDir, 'nothing.json'))).toBeUndefined();
    });

    it('a change committed but not exported (a crash in between) is written by exportPending', async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-001.json');
      const before = fs.readFileSync(f, 'utf8');
      // as a process killed after its commit would leave it: the store one version ahead of the file
      const row = await stored(ws, f);
      const doc = JSON.parse(row.body) as Record<string, unknown>;
      doc.RunNote = 'after the crash';
      await ws.db
        .updateTable('json_docs')
        .set({ body: JSON.stringify(doc), version: row.version + 1 })
        .where('path', '=', f)
        .execute();
      expect(fs.readFileSync(f, 'utf8')).toBe(before);
      expect(await exportPending(ws)).toBe(1);
      expect(onDisk(f).RunNote).toBe('after the crash');
      expect(await exportPending(ws)).toBe(0);
      // a mutation that throws changes neither the store nor the file
      await expect(
        updateDoc(ws, f, (d) => {
          d.RunNote = 'half';
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect((await readDoc(ws, f)).RunNote).toBe('after the crash');
      expect(onDisk(f).RunNote).toBe('after the crash');
    });

    it('a read sees every change, also one made by another process (a row written behind this one)', async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-003.json');
      await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { LowerPmt: { HV1e7Gain: 1400 }, UpperPmt: {} }, runId: 7 }]);
      const first = await readDoc(ws, f);
      expect(await readDoc(ws, f)).toEqual(first);
      await updateDoc(ws, f, (d) => void ((d.LowerPmt as Record<string, unknown>).HV1e7Gain = 1450));
      expect(((await readDoc(ws, f)).LowerPmt as Record<string, unknown>).HV1e7Gain).toBe(1450);
      // another process's change: only the row, at a new version
      const row = await stored(ws, f);
      await ws.db
        .updateTable('json_docs')
        .set({ body: JSON.stringify({ LowerPmt: { HV1e7Gain: 1500 }, UpperPmt: {} }), version: row.version + 1 })
        .where('path', '=', f)
        .execute();
      expect(((await peekDoc(ws, f))!.LowerPmt as Record<string, unknown>).HV1e7Gain).toBe(1500);
      expect(((await readDoc(ws, f)).LowerPmt as Record<string, unknown>).HV1e7Gain).toBe(1500);
    });

    it("a PMT's serial and HV set point follow every committed change, this process's and another's, and never a rolled-back one", async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-004.json');
      const m = { jsonFile: f, serial: 'DEgg2026-1-004', port: 5004 } as Parameters<typeof pmtSerialOf>[1];
      await insertDocs(ws.db, ws.station.name, [
        { path: f, doc: { LowerPmt: { SerialNumber: 'SQ0401', HV1e7Gain: 1400 }, UpperPmt: {} }, runId: 7 },
      ]);
      expect([await pmtSerialOf(ws, m, 'LowerPmt'), await hvSetPoint(ws, f, 'LowerPmt'), await hvSetPoint(ws, f, 'UpperPmt')]).toEqual([
        'SQ0401',
        1400,
        1500,
      ]);
      await updateDoc(ws, f, (d) => void ((d.LowerPmt as JsonDoc).HV1e7Gain = 1450));
      expect(await hvSetPoint(ws, f, 'LowerPmt')).toBe(1450);
      await expect(
        updateDoc(ws, f, (d) => {
          (d.LowerPmt as JsonDoc).HV1e7Gain = 1999;
          throw new Error('interrupted');
        }),
      ).rejects.toThrow('interrupted');
      expect(await hvSetPoint(ws, f, 'LowerPmt')).toBe(1450);
      // another process: only the row changes, at the next version
      const row = await stored(ws, f);
      await ws.db
        .updateTable('json_docs')
        .set({
          body: JSON.stringify({ LowerPmt: { SerialNumber: 'SQ0499', HV1e7Gain: 1520 }, UpperPmt: { HV1e7Gain: 1390 } }),
          version: row.version + 1,
        })
        .where('path', '=', f)
        .execute();
      expect([await pmtSerialOf(ws, m, 'LowerPmt'), await hvSetPoint(ws, f, 'LowerPmt'), await hvSetPoint(ws, f, 'UpperPmt')]).toEqual([
        'SQ0499',
        1520,
        1390,
      ]);
    });

    it("the store keeps a document in its file's layout (indent 4), and a body an older icefat stored compact is exported in that layout too", async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-006.json');
      await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { n: 1, LowerPmt: { HV1e7Gain: 1400 } }, runId: 7 }]);
      await updateDoc(ws, f, (d) => void (d.n = 2));
      const layout = JSON.stringify({ n: 2, LowerPmt: { HV1e7Gain: 1400 } }, null, 4);
      expect((await stored(ws, f)).body).toBe(layout);
      expect(fs.readFileSync(f, 'utf8')).toBe(layout + '\n');
      // an older icefat's compact body, at a new version
      await ws.db
        .updateTable('json_docs')
        .set({ body: JSON.stringify({ n: 3, by: 'an older icefat' }), version: 3 })
        .where('path', '=', f)
        .execute();
      await exportDoc(ws, f);
      expect(fs.readFileSync(f, 'utf8')).toBe(JSON.stringify({ n: 3, by: 'an older icefat' }, null, 4) + '\n');
      expect(await stored(ws, f)).toMatchObject({ version: 3, exported: 3 });
      await updateDoc(ws, f, (d) => void (d.n = 4));
      expect((await stored(ws, f)).body).toBe(JSON.stringify({ n: 4, by: 'an older icefat' }, null, 4));
    });

    it('a view is derived once per version: reads of an unchanged document do not derive it again, a committed change derives it from the changed document', async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'DEgg2026-1-005.json');
      await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { Note: 'a', LowerPmt: {}, UpperPmt: {} }, runId: 7 }]);
      const seen: unknown[] = [];
      const note = { of: (d: JsonDoc) => (seen.push(d.Note), d.Note) };
      expect([await viewDoc(ws, f, note), await viewDoc(ws, f, note), await viewDoc(ws, f, note)]).toEqual(['a', 'a', 'a']);
      expect(seen).toEqual(['a']);
      await updateDoc(ws, f, (d) => void (d.Note = 'b'));
      expect(seen).toEqual(['a', 'b']); // from the committed document, before any read
      expect(await viewDoc(ws, f, note)).toBe('b');
      expect(seen).toEqual(['a', 'b']);
    });

    it("a small document the engine only stages to stays parsed between its changes, and is read again after another process's change or a rolled-back one", async () => {
      const f = path.join(ws.home.jsonDir, 'run_00007', 'run-kept.json');
      await insertDocs(ws.db, ws.station.name, [{ path: f, doc: { comment: 'kept' }, runId: 7 }]);
      const change = async (mutate: (d: JsonDoc) => void, fail = false) => {
        const made = await ws.db
          .transaction()
          .execute(async (tx) => {
            const m = await changeDoc(tx, ws, f, mutate, undefined, { keep: true });
            if (fail) throw new Error('the task end failed');
            return m;
          })
          .catch((e: Error) => e.message);
        if (typeof made !== 'string') committedDoc(ws, f, made);
        return made;
      };
      const task = (k: string, v: number) => (d: JsonDoc) => void (d.MasterFAT_00 = { ...(d.MasterFAT_00 as object), [k]: v });
      await change(task('[0] a', 1));
      // the kept copy is used: a body changed behind the version's back (no icefat code does that) is not read
      await ws.db.updateTable('json_docs').set({ body: '{"comment": "not read"}' }).where('path', '=', f).execute();
      await change(task('[1] b', 1));
      expect(JSON.parse((await stored(ws, f)).body)).toEqual({ comment: 'kept', MasterFAT_00: { '[0] a': 1, '[1] b': 1 } });
      // another process's change moves the version on: the stored document is read, and its change kept
      await ws.db
        .updateTable('json_docs')
        .set((eb) => ({
          body: JSON.stringify({ comment: 'edited elsewhere', MasterFAT_00: { '[0] a': 1, '[1] b': 1 } }),
          version: eb('version', '+', 1),
        }))
        .where('path', '=', f)
        .execute();
      await change(task('[2] c', 0));
      expect(JSON.parse((await stored(ws, f)).body)).toEqual({
        comment: 'edited elsewhere',
        MasterFAT_00: { '[0] a': 1, '[1] b': 1, '[2] c': 0 },
      });
      // a change whose transaction fails leaves no trace in the next one
      expect(await change(task('[3] rolled back', 1), true)).toBe('the task end failed');
      await change(task('[3] d', 1));
      expect(JSON.parse((await stored(ws, f)).body)).toEqual({
        comment: 'edited elsewhere',
        MasterFAT_00: { '[0] a': 1, '[1] b': 1, '[2] c': 0, '[3] d': 1 },
      });
      expect((await stored(ws, f)).version).toBe(6);
    });
  });
}

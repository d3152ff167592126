import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { LogbookError, postEntry, searchEntries } from '../../src/logbook/entries.js';
import { syncAutoEntries } from '../../src/logbook/auto.js';
import { attachmentsDir, MAX_ATTACHMENT_BYTES, sanitizeFilename } from '../../src/logbook/files.js';
import { createNotifier } from '../../src/notify/index.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';
import { seedRun } from '../web/seed-run.js';

/**
 * The logbook on a real store, SQLite and PostgreSQL: search by words, tags, author and run;
 * limits; automatic entries through the master's notifier.
 */
for (const engine of ['sqlite', 'postgres'] as const satisfies readonly Engine[])
  describe(`the FAT logbook (${engine})`, () => {
    let store: { url: string; drop(): Promise<void> };
    let ws: Workspace;
    const ids = async (q: Parameters<typeof searchEntries>[1]) => (await searchEntries(ws, q)).map((e) => e.text);

    beforeAll(async () => {
      store = await freshStore(engine, 'logbook');
      ws = await workspaceOn(store.url, 'lab-logbook');
      await seedRun(ws);
      await postEntry(ws, { text: 'Freezer door closed, seal checked', author: 'alice', tags: ['freezer'], run: 1 });
      await postEntry(ws, { text: 'Laser power supply switched on', author: 'bob', tags: ['laser', 'hardware'] });
      await postEntry(ws, { text: 'Gain scan at 100% done; 5_000 V? no: 1500 V', author: 'bob', tags: ['gain'], run: 1 });
    });
    afterAll(async () => {
      await ws?.close();
      await store?.drop();
      fs.rmSync(ws.home.dir, { recursive: true, force: true });
    });

    it('finds entries by all words in any case, by tag, author and run; newest first', async () => {
      expect(await ids({ text: 'FREEZER seal' })).toEqual(['Freezer door closed, seal checked']);
      expect(await ids({ text: 'freezer laser' })).toEqual([]);
      expect(await ids({ tag: 'laser' })).toEqual(['Laser power supply switched on']);
      // a tag matches whole: "gain" is not found inside "hardware" or text
      expect(await ids({ tag: 'hard' })).toEqual([]);
      expect(await ids({ author: 'bob' })).toEqual(['Gain scan at 100% done; 5_000 V? no: 1500 V', 'Laser power supply switched on']);
      expect(await ids({ run: 1, text: 'gain' })).toEqual(['Gain scan at 100% done; 5_000 V? no: 1500 V']);
      // LIKE's wildcards in a query are plain characters
      expect(await ids({ text: '100%' })).toHaveLength(1);
      expect(await ids({ text: '%' })).toHaveLength(1);
      expect(await ids({ text: '5_0' })).toHaveLength(1);
      expect(await ids({ text: 'a_b' })).toEqual([]);
    });

    it('refuses what it cannot keep, naming the field', async () => {
      await expect(postEntry(ws, { text: '', author: 'a' })).rejects.toThrow(/"text"/);
      await expect(postEntry(ws, { text: 'x', author: 'a', tags: ['two words'] })).rejects.toThrow(/"tags"\[0\]/);
      await expect(postEntry(ws, { text: 'x', author: 'a', run: 7 })).rejects.toThrow(/run 7 does not exist/);
      const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
      const err = await postEntry(ws, { text: 'x', author: 'a', files: [{ filename: 'huge.bin', data: big }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LogbookError);
      expect((err as LogbookError).status).toBe(413);
      expect((err as Error).message).toContain('huge.bin');
      expect(await ids({ text: 'x' })).toEqual([]);
    });

    it('stores a file once by content and keeps only a clean name', async () => {
      const data = new TextEncoder().encode('ch1,ch2\n1,2\n');
      const a = await postEntry(ws, { text: 'readings', author: 'a', files: [{ filename: '..\\..\\C:\\tmp\\readings.csv', data }] });
      const b = await postEntry(ws, { text: 'readings again', author: 'a', files: [{ filename: 'copy.csv', data }] });
      expect(a.attachments[0].filename).toBe('readings.csv');
      expect(a.attachments[0].contentType).toBe('text/csv; charset=utf-8');
      expect(a.attachments[0].sha256).toBe(b.attachments[0].sha256);
      expect(fs.readdirSync(path.join(attachmentsDir(ws.home), a.attachments[0].sha256.slice(0, 2)))).toEqual([a.attachments[0].sha256]);
      expect(sanitizeFilename('.htaccess')).toBe('htaccess');
      expect(sanitizeFilename('a\u0000b<script>.svg')).toBe('a_b_script_.svg');
      expect(sanitizeFilename('../..')).toBe('attachment');
    });

    it('an event of an unknown run or with corrupt data still makes its entry, and later events are not held up', async () => {
      await ws.db
        .insertInto('events')
        .values([
          {
            station: ws.station.name,
            run_id: 9999,
            time: new Date().toISOString(),
            level: 'warn',
            kind: 'module.excluded',
            message: 'excluded from a run that is gone',
            data: '{}',
          },
          {
            station: ws.station.name,
            run_id: null,
            time: new Date().toISOString(),
            level: 'info',
            kind: 'operator.pause',
            message: 'pause asked',
            data: '{not json',
          },
        ])
        .execute();
      expect(await syncAutoEntries(ws)).toBe(2);
      const [pause, excl] = await searchEntries(ws, { tag: 'auto' });
      expect([excl.kind, excl.run, pause.kind, pause.author]).toEqual(['exclusion', null, 'operator-action', 'icefat']);
      await ws.db.deleteFrom('logbook_entries').where('source', '=', 'auto').execute();
    });

    it("the master's notifier writes the automatic entries: run start, a terminal answer, the run end with its modules, once each", async () => {
      const run = await ws.db.selectFrom('runs').select('id').where('run_number', '=', 1).executeTakeFirstOrThrow();
      const n = await createNotifier(ws, run.id, { console: false, runLog: false, slack: false });
      const t = Date.now();
      n.emit({
        level: 'info',
        kind: 'run.start',
        message: 'Executing FAT Master Script',
        detail: '5000: DEgg2026-1-001',
        timeMs: t,
        runId: run.id,
      });
      n.emit({ level: 'info', kind: 'task.start', message: '[0] measure_gain', timeMs: t, runId: run.id });
      n.emit({
        level: 'info',
        kind: 'prompt.answered',
        message: 'Manual input received from carol (terminal), continuing schedule...',
        timeMs: t,
        runId: run.id,
        data: { answeredBy: 'carol', via: 'terminal' },
      });
      // an answer given with `fat answer` has its own event (prompt.answer-cli): the master's echo makes no second entry
      n.emit({
        level: 'info',
        kind: 'prompt.answered',
        message: 'from dan (cli)',
        timeMs: t,
        runId: run.id,
        data: { answeredBy: 'dan', via: 'cli' },
      });
      n.emit({ level: 'warn', kind: 'run.interrupted', message: 'DAQ Stopped by Manual Interrupt', timeMs: t, runId: run.id });
      n.emit({
        level: 'warn',
        kind: 'run.stopped',
        message: 'DAQ stopped by manual input. Reason given: test',
        timeMs: t + 1,
        runId: run.id,
      });
      await n.close();
      const auto = await searchEntries(ws, { tag: 'auto' });
      expect(auto.map((e) => [e.kind, e.author])).toEqual([
        ['run-end', 'icefat'],
        ['operator-action', 'carol'],
        ['run-start', 'icefat'],
      ]);
      expect(auto[2].text).toContain('5000: DEgg2026-1-001');
      expect(auto[0].text).toContain('| 5001 | DEgg2026-1-002 | active | fail |');
      expect(await syncAutoEntries(ws)).toBe(0);
      await Promise.all([syncAutoEntries(ws), syncAutoEntries(ws)]);
      expect(await searchEntries(ws, { tag: 'auto' })).toHaveLength(3);
    });
  });

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOriginal, type ImportReport } from '../../src/fat/import-original.js';
import { openStore, type Db } from '../../src/store/open.js';
import { fat } from '../helpers/fat-cli.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * `fat import`: the original system's JSON tree goes into the store with nothing lost. The fixture
 * tree has two good runs, one malformed run file, one malformed D-Egg file, and keys icefat has
 * never heard of (in the run file, at the D-Egg's top, in a PMT and inside entries).
 */
const ROOT = path.resolve(import.meta.dirname, '../fixtures/original');
const BAD_RUN = path.join(ROOT, 'run/run_00003.json');
const BAD_DEGG = path.join(ROOT, 'run_00001/DEgg2021-3-085.json');
const ENTRY = /^(.+)_(\d+)$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every readable fixture file with every measurement entry in it, as the original wrote them. */
function expectedEntries() {
  const files: { file: string; level: 'run' | 'module'; text: string }[] = [];
  const entries: { file: string; pmt: string; key: string; value: Json }[] = [];
  const add = (file: string, level: 'run' | 'module') => {
    const text = fs.readFileSync(file, 'utf8');
    files.push({ file, level, text });
    const doc = JSON.parse(text) as Json;
    for (const [pmt, d] of [['', doc], ...['UpperPmt', 'LowerPmt'].filter((p) => isObject(doc[p])).map((p) => [p, doc[p]])] as [
      string,
      Json,
    ][]) {
      for (const [key, value] of Object.entries(d)) if (ENTRY.test(key) && isObject(value)) entries.push({ file, pmt, key, value });
    }
  };
  for (const f of ['run/run_00001.json', 'run/run_00002.json']) add(path.join(ROOT, f), 'run');
  for (const f of ['run_00001/DEgg2021-3-133.json', 'run_00002/DEgg2021-3-133.json']) add(path.join(ROOT, f), 'module');
  return { files, entries };
}

async function expectNothingLost(db: Db, station: string) {
  const { files, entries } = expectedEntries();
  const rows = await db.selectFrom('imported_entries').selectAll().where('station', '=', station).execute();
  for (const f of files) {
    const row = rows.find((r) => r.source_file === f.file && r.level === f.level);
    expect(row?.raw, `${f.file} kept whole`).toBe(f.text);
  }
  for (const e of entries) {
    const row = rows.find((r) => r.source_file === e.file && r.level === 'entry' && r.pmt === e.pmt && r.entry_key === e.key);
    expect(row, `${e.file} ${e.pmt} ${e.key}`).toBeDefined();
    expect(JSON.parse(row!.raw)).toEqual(e.value);
  }
  // the entries are results too: every key of the entry is in the result's detail
  const results = await db.selectFrom('results').selectAll().where('station', '=', station).execute();
  const measured = entries.filter((e) => e.file.includes('DEgg'));
  for (const e of measured) {
    const name = `original.${ENTRY.exec(e.key)![1]}`;
    const r = results.find(
      (x) => x.name === name && (x.pmt ?? '') === e.pmt && (JSON.parse(x.detail) as Json).entry === e.key && x.provenance.includes(e.file),
    );
    expect(r, `${e.key} of ${e.file} as a result`).toBeDefined();
    expect(JSON.parse(r!.detail)).toEqual({ entry: e.key, ...e.value });
  }
  const byName = (name: string, pmt: string, port: number) =>
    results.filter((r) => r.name === name && r.pmt === pmt && r.port === port).map((r) => [r.kind, r.value, r.verdict]);
  expect(byName('gain.hv1e7', 'UpperPmt', 5006)).toEqual([['original', 1291.5, 'info']]);
  expect(byName('gain.hv1e7', 'LowerPmt', 5006)).toEqual([]); // -1: never measured
  expect(byName('gain.hv1e7', 'LowerPmt', 5000)).toEqual([['original', 1402.5, 'info']]);
  expect(byName('original.DarkrateScalerMeasurement', 'UpperPmt', 5006)).toEqual([['measure_scaler', 812.75, 'info']]);
  expect(byName('gain.fit_exponent', 'UpperPmt', 5006)).toEqual([['measure_gain', 7.123456789, 'info']]);

  const runs = await db
    .selectFrom('runs')
    .select(['run_number', 'comment', 'date', 'operator'])
    .where('station', '=', station)
    .orderBy('run_number')
    .execute();
  expect(runs).toEqual([
    { run_number: 1, comment: 'DEgg', date: '2023-02-09', operator: 'imported' },
    { run_number: 2, comment: 'second batch: only one left', date: '2023-03-01', operator: 'imported' },
  ]);
  // the module history of a D-Egg reaches back into the original's runs
  const history = await db
    .selectFrom('modules')
    .innerJoin('runs', 'runs.id', 'modules.run_id')
    .select(['runs.run_number', 'modules.port', 'modules.icm_id', 'modules.fpga_version', 'modules.registry'])
    .where('modules.degg_serial', '=', 'DEgg2021-3-133')
    .where('runs.station', '=', station)
    .orderBy('runs.run_number')
    .execute();
  expect(history.map((h) => [h.run_number, h.port, h.icm_id, h.fpga_version])).toEqual([
    [1, 5006, '3300002c73032e2d', 272],
    [2, 5000, '3300002c73032e2d', 272],
  ]);
  expect((JSON.parse(history[0].registry) as Json).WhoKnowsWhat).toEqual({ nested: { deeper: [1, { x: 'y' }] } });
}

function expectProblems(r: ImportReport) {
  expect(r.problems.map((p) => p.file).sort()).toEqual([BAD_DEGG, BAD_RUN].sort());
  expect(r.problems.find((p) => p.file === BAD_RUN)?.message).toMatch(/not valid JSON \(line 3, column 23\).*position 82/);
  expect(r.problems.find((p) => p.file === BAD_DEGG)?.message).toMatch(/not valid JSON \(line 6, column 1\)/);
}

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`fat import (${engine})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('imports the tree with nothing lost, names each malformed file, and adds nothing the second time', async () => {
      const store = await freshStore(engine, 'import');
      cleanup.push(() => store.drop());
      if (engine === 'sqlite') {
        // through the command, as an operator would
        const ws = await workspaceOn(store.url, 'lab-a');
        await ws.close();
        const r = await fat(ws.home.dir, ['import', ROOT, '--json']);
        expect(r.code).toBe(1); // something was skipped
        const report = JSON.parse(r.stdout) as ImportReport;
        expectProblems(report);
        expect(report).toMatchObject({ station: 'imported', runs: { new: 2, known: 0 }, modules: { new: 2, known: 0 } });
      } else {
        const db = await openStore(store.url);
        try {
          const report = await importOriginal(db, ROOT, 'imported');
          expectProblems(report);
          expect(report).toMatchObject({ runs: { new: 2 }, modules: { new: 2 } });
        } finally {
          await db.destroy();
        }
      }
      const db = await openStore(store.url);
      try {
        await expectNothingLost(db, 'imported');
        const before = await db.selectFrom('results').select('id').execute();
        const again = await importOriginal(db, path.join(ROOT, 'run'), 'imported'); // the run folder works too
        expect(again).toMatchObject({ runs: { new: 0, known: 2 }, modules: { new: 0, known: 2 }, entries: { new: 0 }, results: 0 });
        expectProblems(again);
        expect(await db.selectFrom('results').select('id').execute()).toHaveLength(before.length);
        // the same runs under another station are a history of their own
        const other = await importOriginal(db, ROOT, 'lab-2019');
        expect(other.runs.new).toBe(2);
        await expectNothingLost(db, 'lab-2019');
      } finally {
        await db.destroy();
      }
    }, 55_000);
  });
}

describe('fat import', () => {
  it('a folder without run/ is refused, naming what is expected', async () => {
    const store = await freshStore('sqlite', 'import-bad');
    const db = await openStore(store.url);
    try {
      await expect(importOriginal(db, path.join(ROOT, 'run_00001'), 'imported')).rejects.toThrow(
        /holds no run\/ folder: give the original's JSON root/,
      );
    } finally {
      await db.destroy();
      await store.drop();
    }
  });
});

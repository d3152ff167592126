import { afterAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { insertResults, type ResultRow } from '../../src/records/results.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * insertResults writes a batch in as few statements as the engine takes well (multi-row INSERTs
 * kept prepared on SQLite, one INSERT from unnest arrays on PostgreSQL): every value comes back
 * exactly as given, rows keep their order, and a batch that fails part-way leaves nothing.
 */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function workspace(engine: Engine): Promise<{ ws: Workspace; runId: number }> {
  const store = await freshStore(engine, 'results-insert');
  const ws = await workspaceOn(store.url, `insert-${engine}`);
  cleanups.push(async () => {
    await ws.close();
    await store.drop();
  });
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 1, comment: 'insert', date: '2026-11-28', operator: 'dave', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ws, runId: Number(run.id) };
}

const TEXTS = [
  `it's`,
  'say "hi"',
  'back\\slash \\" and \\\\',
  '{1,2} (a,b) [x]',
  'NULL',
  'null',
  '',
  ' leading and trailing ',
  'line\nbreak\ttab\r\nwindows',
  'é ü ß 日本語 🚀',
  '$1 ? :name',
];
const NUMBERS = [0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, -123456789.12345679, 2 ** 53 + 2, 6.02214076e23, 1 / 3, 0, -42, null];

function row(runId: number, i: number): ResultRow {
  const text = TEXTS[i % TEXTS.length];
  return {
    station: 'insert-st',
    run_id: runId,
    task_id: i % 3 === 0 ? null : 1000 + i,
    kind: `kind ${text}`,
    port: i % 16,
    degg_serial: `DEgg-${i % 16}`,
    pmt: i % 4 === 0 ? null : text,
    name: `q.${i}`,
    value: NUMBERS[i % NUMBERS.length],
    units: text,
    verdict: (['pass', 'marginal', 'fail', 'info'] as const)[i % 4],
    reason: text,
    goalposts_version: 'v1',
    folder: i % 5 === 0 ? null : `/data/${text}`,
    detail: JSON.stringify({ i, text, nested: { q: '"' } }),
    provenance: JSON.stringify({ station: 'insert-st', text }),
    created_at: `2026-11-28T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
  };
}

const COLUMNS = Object.keys(row(0, 0)) as Array<keyof ResultRow>;

async function stored(ws: Workspace, runId: number): Promise<ResultRow[]> {
  return ws.db.selectFrom('results').select(COLUMNS).where('run_id', '=', runId).orderBy('id').execute();
}

describe.each(['sqlite', 'postgres'] as const)('insertResults on %s', (engine) => {
  it('stores every value exactly as given, rows in the order given', async () => {
    const { ws, runId } = await workspace(engine);
    const rows = Array.from({ length: 3 * TEXTS.length * NUMBERS.length }, (_, i) => row(runId, i));
    await ws.db.transaction().execute((tx) => insertResults(tx, rows));
    expect(await stored(ws, runId)).toEqual(rows);
  });

  it('writes batches of any size, one after another, each whole', async () => {
    const { ws, runId } = await workspace(engine);
    const all: ResultRow[] = [];
    for (const n of [1, 112, 3, 112, 501, 1, 1100]) {
      const rows = Array.from({ length: n }, (_, i) => row(runId, all.length + i));
      await ws.db.transaction().execute((tx) => insertResults(tx, rows));
      all.push(...rows);
      expect((await stored(ws, runId)).map((r) => r.name)).toEqual(all.map((r) => r.name));
    }
    expect(await stored(ws, runId)).toEqual(all);
  });

  it('stores a value every row shares in each row (sent once on PostgreSQL), and rows alike in every column each', async () => {
    const { ws, runId } = await workspace(engine);
    const shared = Array.from({ length: 40 }, (_, i) => ({ ...row(runId, i), reason: TEXTS[2], value: NUMBERS[0], folder: null }));
    const alike = Array.from({ length: 3 }, () => row(runId, 8));
    for (const rows of [shared, alike, [row(runId, 9)]]) await ws.db.transaction().execute((tx) => insertResults(tx, rows));
    expect(await stored(ws, runId)).toEqual([...shared, ...alike, row(runId, 9)]);
  });

  it('leaves nothing of a batch whose row fails late in it (past the first statement on SQLite)', async () => {
    const { ws, runId } = await workspace(engine);
    const rows = Array.from({ length: 1200 }, (_, i) => row(runId, i));
    rows[1100] = { ...rows[1100], degg_serial: null as unknown as string };
    await expect(ws.db.transaction().execute((tx) => insertResults(tx, rows))).rejects.toThrow(/degg_serial/);
    expect(await stored(ws, runId)).toEqual([]);
    // the store is usable afterwards and the same batch without the bad row goes in whole
    rows[1100] = row(runId, 1100);
    await ws.db.transaction().execute((tx) => insertResults(tx, rows));
    expect(await stored(ws, runId)).toEqual(rows);
  });
});

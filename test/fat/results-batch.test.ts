import { afterAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { recordResults, type ResultInput } from '../../src/records/results.js';
import { runResults } from '../../src/records/verdicts.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * recordResults writes a batch as a few multi-row INSERTs: a batch larger than one statement's
 * chunk arrives whole, in order, judged; a batch with a bad row writes nothing. On both engines.
 */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function workspace(engine: Engine): Promise<{ ws: Workspace; runId: number }> {
  const store = await freshStore(engine, 'results-batch');
  const ws = await workspaceOn(store.url, `batch-${engine}`);
  cleanups.push(async () => {
    await ws.close();
    await store.drop();
  });
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 1, comment: 'batch', date: '2026-11-28', operator: 'dave', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ws, runId: Number(run.id) };
}

/** monitoring samples of 16 modules, every 100th out of range */
function samples(n: number): ResultInput[] {
  return Array.from({ length: n }, (_, i) => ({
    port: i % 16,
    serial: `DEgg-${i % 16}`,
    pmt: i % 2 ? 'UpperPmt' : 'LowerPmt',
    name: 'monitor.spe_charge',
    value: i % 100 === 7 ? 2.5 : 1.6,
    detail: { iteration: i },
  }));
}

describe.each(['sqlite', 'postgres'] as const)('recordResults batches on %s', (engine) => {
  it('writes every row of a large batch in order, judged, in one transaction', async () => {
    const { ws, runId } = await workspace(engine);
    // 2003 rows of 17 parameters: more than SQLite allows in one statement (32766)
    const rows = samples(2003);
    const out = await recordResults(ws, { runId, taskId: null, kind: 'constant_monitor', folder: '/data/cm' }, rows);
    expect(out).toHaveLength(2003);
    const stored = await runResults(ws, runId);
    expect(stored.map((r) => r.detail.iteration)).toEqual(rows.map((_, i) => i));
    expect(stored.filter((r) => r.verdict === 'fail').map((r) => r.detail.iteration)).toEqual(
      rows.map((_, i) => i).filter((i) => i % 100 === 7),
    );
    expect(new Set(stored.map((r) => r.units))).toEqual(new Set(['pC']));
  });

  it('writes nothing of a batch with a quantity that has no goalpost, and names it', async () => {
    const { ws, runId } = await workspace(engine);
    const rows = [...samples(600), { port: 0, serial: 'DEgg-0', name: 'monitor.nonsense', value: 1 }];
    await expect(recordResults(ws, { runId, taskId: null, kind: 'constant_monitor', folder: null }, rows)).rejects.toThrow(
      /monitor\.nonsense has no goalpost/,
    );
    expect(await runResults(ws, runId)).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { recordResults, type ResultInput } from '../../src/records/results.js';
import { TaskRecord } from '../../src/records/task-record.js';
import { runResults, runVerdicts } from '../../src/records/verdicts.js';
import { sampleRows } from '../../src/records/samples.js';
import { copyStore, sourceName } from '../../src/store/copy.js';
import { openStore } from '../../src/store/open.js';
import { moduleGrid } from '../../src/views/module-grid.js';
import { environment } from '../../src/views/environment.js';
import { metricsText } from '../../src/web/metrics.js';
import type { Workspace } from '../../src/station/workspace.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/** the station's ports are never opened here; 7800 is this file's base all the same */
const BASE_PORT = 7800;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store of `engine` with one run of two modules. */
async function store(engine: Engine, tag: string): Promise<{ ws: Workspace; runId: number; url: string }> {
  const s = await freshStore(engine, tag);
  const ws = await workspaceOn(s.url, `samples-${tag}`, BASE_PORT);
  cleanups.push(async () => {
    await ws.close();
    await s.drop();
  });
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 1, comment: 'batch', date: '2026-12-06', operator: 'carol', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const runId = Number(run.id);
  for (const [i, serial] of ['DEgg-A', 'DEgg-B'].entries())
    await ws.db
      .insertInto('modules')
      .values({
        run_id: runId,
        port: i,
        wire_pair: 0,
        degg_serial: serial,
        icm_id: '',
        fpga_version: 272,
        software_version: 62,
        flash_id: '',
        mainboard_id: '',
        registry: '{}',
        json_file: '',
        state: 'active',
        state_reason: null,
      })
      .execute();
  return { ws, runId, url: s.url };
}

const A = { port: 0, serial: 'DEgg-A', pmt: 'LowerPmt' };
const B = { port: 1, serial: 'DEgg-B', pmt: 'LowerPmt' };

/** Until the workspace's clock has moved on, so rows written next carry a later time than those before. */
async function nextTick(ws: Workspace): Promise<void> {
  const t = ws.clock.now();
  while (ws.clock.now() === t) await new Promise((r) => setImmediate(r));
}

/** A result before the samples, the samples of a constant_monitor (two iterations), a result after them. */
async function measureAroundSamples(ws: Workspace, runId: number): Promise<void> {
  await recordResults(ws, { runId, taskId: null, kind: 'measure_scaler', folder: '/data/scaler' }, [
    { ...A, name: 'darkrate.cold', value: 5000, detail: { temperatureC: -31 } },
    { ...B, name: 'dt.rate', value: 2500 },
  ]);
  const samples: ResultInput[] = [];
  for (const iteration of [0, 1])
    samples.push(
      { ...A, name: 'darkrate.cold', value: 2000 + 100 * iteration, detail: { temperatureC: -30, iteration } },
      { ...B, name: 'dt.rate', value: 30000, detail: { correlatedFraction: 0.05 } },
      { port: 0, serial: 'DEgg-A', name: 'monitor.pressure', value: iteration ? null : 450, detail: { iteration } },
    );
  await nextTick(ws);
  const record = new TaskRecord(ws, { runId, taskId: null });
  await record.samples('constant_monitor', '/data/constant_monitor', samples);
  await record.commitAlone();
  await nextTick(ws);
  await recordResults(ws, { runId, taskId: null, kind: 'measure_dt', folder: '/data/dt' }, [{ ...B, name: 'dt.rate', value: 2600 }]);
}

/** What a reader sees of each row, ids aside. */
const seen = (rows: Awaited<ReturnType<typeof runResults>>) =>
  rows.map((r) => [r.kind, r.serial, r.pmt, r.name, r.value, r.units, r.verdict, r.superseded, r.detail]);

describe.each<Engine>(['sqlite', 'postgres'])('monitoring samples on %s', (engine) => {
  it('read back as results in the order committed: a later result supersedes them, they supersede an earlier one', async () => {
    const { ws, runId } = await store(engine, 'read');
    await measureAroundSamples(ws, runId);
    const rows = await runResults(ws, runId);
    expect(seen(rows)).toEqual([
      ['measure_scaler', 'DEgg-A', 'LowerPmt', 'darkrate.cold', 5000, 'Hz', 'fail', true, { temperatureC: -31 }],
      ['measure_scaler', 'DEgg-B', 'LowerPmt', 'dt.rate', 2500, 'Hz', 'pass', true, {}],
      ['constant_monitor', 'DEgg-A', 'LowerPmt', 'darkrate.cold', 2000, 'Hz', 'pass', true, { temperatureC: -30, iteration: 0 }],
      ['constant_monitor', 'DEgg-A', null, 'monitor.pressure', 450, 'hPa', 'pass', true, { iteration: 0 }],
      ['constant_monitor', 'DEgg-A', 'LowerPmt', 'darkrate.cold', 2100, 'Hz', 'pass', false, { temperatureC: -30, iteration: 1 }],
      ['constant_monitor', 'DEgg-A', null, 'monitor.pressure', null, 'hPa', 'fail', false, { iteration: 1 }],
      ['constant_monitor', 'DEgg-B', 'LowerPmt', 'dt.rate', 30000, 'Hz', 'fail', true, { correlatedFraction: 0.05 }],
      ['constant_monitor', 'DEgg-B', 'LowerPmt', 'dt.rate', 30000, 'Hz', 'fail', true, { correlatedFraction: 0.05 }],
      ['measure_dt', 'DEgg-B', 'LowerPmt', 'dt.rate', 2600, 'Hz', 'pass', false, {}],
    ]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.kind === 'constant_monitor').every((r) => r.id < 0 && r.folder === '/data/constant_monitor')).toBe(true);
    expect(rows.find((r) => r.kind === 'constant_monitor')?.provenance).toMatchObject({ station: ws.station.name, operator: 'carol' });

    // one packed row per module, no result row per sample
    expect(await ws.db.selectFrom('monitoring_samples').select(['degg_serial']).orderBy('id').execute()).toEqual([
      { degg_serial: 'DEgg-A' },
      { degg_serial: 'DEgg-B' },
    ]);
    expect(await ws.db.selectFrom('results').select('kind').orderBy('id').execute()).toHaveLength(3);

    expect(seen(await runResults(ws, runId, 'DEgg-B'))).toEqual(seen(rows).filter((r) => r[1] === 'DEgg-B'));
    const verdicts = await runVerdicts(ws, runId);
    // A: the pressure not measured in the last iteration fails it; B: the later Δt result passes it
    expect(verdicts.map((v) => [v.serial, v.verdict])).toEqual([
      ['DEgg-A', 'fail'],
      ['DEgg-B', 'pass'],
    ]);
  });

  it("the dashboard's grid, the environment and /metrics take the mainboard temperature of the samples", async () => {
    const { ws, runId } = await store(engine, 'temps');
    await measureAroundSamples(ws, runId);
    const tileA = (await moduleGrid(ws))?.modules.find((m) => m.serial === 'DEgg-A');
    expect(tileA?.temperatureC).toBe(-30);
    expect((await environment(ws)).mainboard.map((m) => [m.serial, m.temperatureC])).toEqual([
      ['DEgg-A', -31],
      ['DEgg-A', -30],
    ]);
    expect(await metricsText(ws)).toMatch(/^fat_last_temperature_celsius\{serial="DEgg-A"\} -30$/m);
  });

  it('a packed row that is not samples is an error naming it', async () => {
    const { ws, runId } = await store(engine, 'corrupt');
    await measureAroundSamples(ws, runId);
    await ws.db.updateTable('monitoring_samples').set({ samples: '[["LowerPmt", 1]]' }).where('degg_serial', '=', 'DEgg-B').execute();
    await expect(sampleRows(ws.db, { runId })).rejects.toThrow(/corrupt monitoring_samples.samples of row \d+: sample 0 is not/);
  });
});

describe('monitoring samples copied to PostgreSQL', () => {
  it('keep their place among the results', async () => {
    const { ws, runId } = await store('sqlite', 'copy-src');
    await measureAroundSamples(ws, runId);
    const target = await freshStore('postgres', 'samples-copy');
    cleanups.push(() => target.drop());
    // the target already has results of another station, so the copied ids differ from the source's
    await (await workspaceOn(target.url, 'samples-other', BASE_PORT)).close();
    const dst = await openStore(target.url);
    try {
      const theirRun = await dst
        .insertInto('runs')
        .values({ station: 'samples-other', run_number: 9, comment: '', date: '2026-12-01', operator: 'bo', run_file: '' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await dst
        .insertInto('results')
        .values({
          station: 'samples-other',
          run_id: Number(theirRun.id),
          task_id: null,
          kind: 'measure_gain',
          port: 0,
          degg_serial: 'DEgg-Z',
          pmt: null,
          name: 'gain.hv1e7',
          value: 1500,
          verdict: 'pass',
          goalposts_version: 'x',
          folder: null,
          provenance: '{}',
        })
        .execute();
      await copyStore(ws.db, dst, await sourceName(ws.db, ws.station.name));
      const copied = await dst.selectFrom('runs').select('id').where('station', '=', ws.station.name).executeTakeFirstOrThrow();
      const there = await workspaceOn(target.url, ws.station.name, BASE_PORT);
      try {
        expect(seen(await runResults(there, Number(copied.id)))).toEqual(seen(await runResults(ws, runId)));
      } finally {
        await there.close();
      }
    } finally {
      await dst.destroy();
    }
  });
});

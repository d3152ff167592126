import { afterEach, describe, expect, it } from 'vitest';
import { createSchedule, finishTask, startTask } from '../../src/engine/journal.js';
import { recordResults } from '../../src/records/results.js';
import { TaskRecord } from '../../src/records/task-record.js';
import { insertDocs, readDocVersion } from '../../src/records/json-docs.js';
import type { Workspace } from '../../src/station/workspace.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * The end of a task (journal.finishTask), which PostgreSQL writes in fewer statements than
 * SQLite: the task's state and result, the end of its running attempt (only that one), and the
 * task's record commit together, on both engines alike; the monitoring samples among them are
 * placed after the newest result of the moment.
 */
const BASE_PORT = 7840;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function oneTask(engine: Engine, tag: string): Promise<{ ws: Workspace; runId: number; taskId: number }> {
  const s = await freshStore(engine, tag);
  const ws = await workspaceOn(s.url, `journal-${tag}`, BASE_PORT);
  cleanups.push(async () => {
    await ws.close();
    await s.drop();
  });
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 1, comment: 'end', date: '2026-12-07', operator: 'erin', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const runId = Number(run.id);
  await ws.db
    .insertInto('modules')
    .values({
      run_id: runId,
      port: 0,
      wire_pair: 0,
      degg_serial: 'DEgg-A',
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
  const scheduleId = await createSchedule(ws, {
    runId,
    masterKey: 'MasterFAT_00',
    configPath: 'end.ini',
    configHash: 'h',
    archivedPath: 'end_0.ini',
    tasks: [{ index: 0, section: 'constant_monitor_0', kind: 'constant_monitor', params: {}, runBackup: false, estimateS: 60 }],
  });
  const task = await ws.db.selectFrom('tasks').select('id').where('schedule_id', '=', scheduleId).executeTakeFirstOrThrow();
  return { ws, runId, taskId: Number(task.id) };
}

describe.each<Engine>(['sqlite', 'postgres'])('the end of a task on %s', (engine) => {
  it('ends the task and its running attempt, not an earlier one, with its record', async () => {
    const { ws, runId, taskId } = await oneTask(engine, 'end');
    await startTask(ws, taskId, Date.UTC(2026, 11, 7, 8));
    await finishTask(ws, taskId, 'failed', Date.UTC(2026, 11, 7, 9), { error: 'HV did not ramp' });
    await startTask(ws, taskId, Date.UTC(2026, 11, 7, 10));
    const [before] = await recordResults(ws, { runId, taskId: null, kind: 'measure_gain', folder: null }, [
      { port: 0, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1500 },
    ]);
    expect(before.verdict).toBe('pass');
    const record = new TaskRecord(ws, { runId, taskId });
    await record.samples('constant_monitor', '/data/constant_monitor', [
      { port: 0, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'darkrate.cold', value: 2000, detail: { temperatureC: -30 } },
      { port: 0, serial: 'DEgg-A', name: 'monitor.pressure', value: 450 },
    ]);
    await finishTask(ws, taskId, 'done', Date.UTC(2026, 11, 7, 11), { result: { pmts: 1 }, record });

    expect(
      await ws.db.selectFrom('tasks').select(['state', 'ended_at', 'progress', 'error', 'result']).where('id', '=', taskId).execute(),
    ).toEqual([{ state: 'done', ended_at: '2026-12-07T11:00:00.000Z', progress: 1, error: null, result: '{"pmts":1}' }]);
    expect(
      await ws.db
        .selectFrom('task_attempts')
        .select(['attempt', 'outcome', 'ended_at', 'error'])
        .where('task_id', '=', taskId)
        .orderBy('attempt')
        .execute(),
    ).toEqual([
      { attempt: 1, outcome: 'failed', ended_at: '2026-12-07T09:00:00.000Z', error: 'HV did not ramp' },
      { attempt: 2, outcome: 'done', ended_at: '2026-12-07T11:00:00.000Z', error: null },
    ]);
    const newest = await ws.db
      .selectFrom('results')
      .select((e) => e.fn.max('id').as('m'))
      .executeTakeFirstOrThrow();
    const samples = await ws.db.selectFrom('monitoring_samples').select(['task_id', 'samples', 'last_result_id']).execute();
    expect(samples.map((r) => ({ ...r, samples: JSON.parse(r.samples) as unknown }))).toEqual([
      {
        task_id: taskId,
        samples: [
          ['LowerPmt', 'darkrate.cold', 2000, 'Hz', 'pass', '', { temperatureC: -30 }],
          [null, 'monitor.pressure', 450, 'hPa', 'pass', '', {}],
        ],
        last_result_id: Number(newest.m),
      },
    ]);
  });
});

describe.each<Engine>(['sqlite', 'postgres'])('a task record committed with the task end on %s', (engine) => {
  async function withDoc(tag: string) {
    const t = await oneTask(engine, tag);
    const file = `/nonexistent/${tag}/DEgg-A.json`;
    await insertDocs(t.ws.db, t.ws.station.name, [{ path: file, doc: { DEggSerialNumber: 'DEgg-A', LowerPmt: {} }, runId: t.runId }]);
    await startTask(t.ws, t.taskId, Date.UTC(2026, 11, 7, 10));
    const record = new TaskRecord(t.ws, { runId: t.runId, taskId: t.taskId });
    const state = async () => ({
      task: (await t.ws.db.selectFrom('tasks').select('state').where('id', '=', t.taskId).executeTakeFirstOrThrow()).state,
      doc: await readDocVersion(t.ws, file),
      results: await t.ws.db.selectFrom('results').select(['id', 'name']).where('task_id', '=', t.taskId).execute(),
      samples: await t.ws.db
        .selectFrom('monitoring_samples')
        .select(['last_result_id', 'samples'])
        .where('task_id', '=', t.taskId)
        .execute(),
    });
    return { ...t, file, record, state };
  }

  it('stores the document change, the results and the samples with the end, the samples after the task own results', async () => {
    const { ws, taskId, file, record, state } = await withDoc('whole');
    const key = await record.entry(file, 'GainMeasurement', { HV1e7Gain: 1480 }, 'LowerPmt');
    await record.results('measure_gain', null, [{ port: 0, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1480 }]);
    await record.samples('constant_monitor', null, [{ port: 0, serial: 'DEgg-A', name: 'monitor.pressure', value: 450 }]);
    await finishTask(ws, taskId, 'done', Date.UTC(2026, 11, 7, 11), { record });
    const s = await state();
    expect(s.task).toBe('done');
    expect(s.doc.version).toBe(2);
    expect((s.doc.doc.LowerPmt as Record<string, unknown>)[key]).toEqual({ HV1e7Gain: 1480 });
    expect(s.results.map((r) => r.name)).toEqual(['gain.hv1e7']);
    // a reader places the samples after every result up to last_result_id: this task's own included
    expect(s.samples.map((r) => ({ after: r.last_result_id, samples: JSON.parse(r.samples) as unknown }))).toEqual([
      { after: Number(s.results[0].id), samples: [[null, 'monitor.pressure', 450, 'hPa', 'pass', '', {}]] },
    ]);
  });

  it('stores nothing of the record and leaves the task running when a part of it fails', async () => {
    const { ws, taskId, file, record, state } = await withDoc('fails');
    await record.entry(file, 'GainMeasurement', { HV1e7Gain: 1480 }, 'LowerPmt');
    // a sample without a module serial: the store refuses the row (NOT NULL), the last part of the write
    await record.samples('constant_monitor', null, [{ port: 0, serial: null as unknown as string, name: 'monitor.pressure', value: 450 }]);
    const before = await state();
    await expect(finishTask(ws, taskId, 'done', Date.UTC(2026, 11, 7, 11), { record })).rejects.toThrow(/degg_serial/);
    expect(await state()).toEqual(before);
    expect(before).toMatchObject({ task: 'running', doc: { version: 1 }, results: [], samples: [] });
  });
});

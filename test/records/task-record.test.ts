import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runTask } from '../../src/engine/task-runner.js';
import { readDoc, updateDoc } from '../../src/records/json-docs.js';
import type { TaskContext, TaskKind } from '../../src/tasks/types.js';
import { oneTaskScope } from '../helpers/one-task.js';

/**
 * A task's entries and results reach the store with the task's end, in one transaction: while it
 * runs nobody sees half a measurement, an interrupted attempt leaves nothing, a failed one keeps
 * what it measured, and a change someone else makes to the same document meanwhile is kept.
 */
describe('the record of a task', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  async function setup(kind: TaskKind) {
    const one = await oneTaskScope(kind, ['DEgg2026-1-001']);
    closers.push(one.close);
    const { ws, runId, task } = one;
    const results = () => ws.db.selectFrom('results').select(['name', 'value', 'verdict']).where('run_id', '=', runId).execute();
    const taskRow = () => ws.db.selectFrom('tasks').select(['state']).where('id', '=', task.id).executeTakeFirstOrThrow();
    return { ...one, kind, moduleFile: one.scope.modules[0].jsonFile, results, taskRow };
  }

  const kindOf = (run: (ctx: TaskContext) => Promise<Record<string, unknown> | void>): TaskKind => ({
    name: 'probe',
    summary: 'stages a record',
    params: z.object({}),
    positional: [],
    estimateS: () => 60,
    run: (ctx) => run(ctx),
  });

  async function stageMeasurement(ctx: TaskContext) {
    const m = ctx.modules[0];
    const key = await ctx.record.entry(
      m.jsonFile,
      'GainMeasurement',
      { Folder: '/data/gain', HV1e7Gain: 1480, TaskId: ctx.task.id },
      'LowerPmt',
    );
    await ctx.record.update(m.jsonFile, (doc) => ((doc.LowerPmt as Record<string, unknown>).HV1e7Gain = 1480));
    const judged = await ctx.record.results('probe', '/data/gain', [
      { port: m.port, serial: m.serial, pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1480 },
    ]);
    return { key, verdict: judged[0].verdict };
  }

  it('commits the entries, the results and the task end together, and exports the file after', async () => {
    let seenWhileRunning: unknown;
    const s = await setup(
      kindOf(async (ctx) => {
        const staged = await stageMeasurement(ctx);
        // the second entry of the same name gets the next key, before anything is stored
        const second = await ctx.record.entry(ctx.modules[0].jsonFile, 'GainMeasurement', { TaskId: ctx.task.id }, 'LowerPmt');
        seenWhileRunning = { doc: await readDoc(ctx.ws, ctx.modules[0].jsonFile), results: await s.results(), task: await s.taskRow() };
        return { ...staged, second };
      }),
    );
    const result = await runTask(s.scope, s.task, s.kind);
    expect(result).toMatchObject({ key: 'GainMeasurement_00', second: 'GainMeasurement_01', verdict: 'pass' });
    expect(seenWhileRunning).toEqual({ doc: { LowerPmt: {}, UpperPmt: {} }, results: [], task: { state: 'running' } });
    const doc = await readDoc(s.ws, s.moduleFile);
    expect(doc.LowerPmt).toMatchObject({ HV1e7Gain: 1480, GainMeasurement_00: { HV1e7Gain: 1480 }, GainMeasurement_01: {} });
    expect(JSON.parse(fs.readFileSync(s.moduleFile, 'utf8'))).toEqual(doc);
    expect(await s.results()).toEqual([{ name: 'gain.hv1e7', value: 1480, verdict: 'pass' }]);
    expect(await s.taskRow()).toEqual({ state: 'done' });
    expect((JSON.parse(fs.readFileSync(s.runFile, 'utf8')) as Record<string, unknown>).MasterFAT_00).toEqual({ '[0] k_0': 1 });
  });

  it('an interrupted attempt puts nothing on record', async () => {
    const s = await setup(
      kindOf(async (ctx) => {
        await stageMeasurement(ctx);
        s.ac.abort(new Error('Ctrl+C'));
        throw new Error('aborted');
      }),
    );
    await expect(runTask(s.scope, s.task, s.kind)).rejects.toMatchObject({ name: 'Interrupted' });
    expect(await readDoc(s.ws, s.moduleFile)).toEqual({ LowerPmt: {}, UpperPmt: {} });
    expect(fs.existsSync(s.moduleFile)).toBe(false);
    expect(await s.results()).toEqual([]);
    expect(await s.taskRow()).toEqual({ state: 'pending' });
  });

  it('a failed attempt keeps what it measured, with the task failed (0 in the run file)', async () => {
    const s = await setup(
      kindOf(async (ctx) => {
        await stageMeasurement(ctx);
        throw new Error('the second module did not answer');
      }),
    );
    await expect(runTask(s.scope, s.task, s.kind)).rejects.toMatchObject({ name: 'TaskFailed' });
    expect((await readDoc(s.ws, s.moduleFile)).LowerPmt).toMatchObject({ GainMeasurement_00: { HV1e7Gain: 1480 } });
    expect(await s.results()).toHaveLength(1);
    expect(await s.taskRow()).toEqual({ state: 'failed' });
    expect((await readDoc(s.ws, s.runFile)).MasterFAT_00).toEqual({ '[0] k_0': 0 });
  });

  it('keeps a change another process made to the same document while the task ran', async () => {
    const s = await setup(
      kindOf(async (ctx) => {
        await stageMeasurement(ctx);
        // an operator's note lands in the same D-Egg file before the task ends
        await updateDoc(ctx.ws, ctx.modules[0].jsonFile, (doc) => (doc.Note = 'cable checked'));
      }),
    );
    await runTask(s.scope, s.task, s.kind);
    const doc = await readDoc(s.ws, s.moduleFile);
    expect(doc.Note).toBe('cable checked');
    expect(doc.LowerPmt).toMatchObject({ HV1e7Gain: 1480, GainMeasurement_00: { Folder: '/data/gain' } });
  });

  it('a kind that writes to the run file itself keeps its entry beside the task state the engine stages', async () => {
    const s = await setup(
      kindOf(async (ctx) => {
        await ctx.record.update(ctx.run.runFile, (doc) => (doc.ProbeNote = 'from the task'));
      }),
    );
    await runTask(s.scope, s.task, s.kind);
    const doc = await readDoc(s.ws, s.runFile);
    expect(doc).toMatchObject({ ProbeNote: 'from the task', MasterFAT_00: { '[0] k_0': 1 } });
    expect(JSON.parse(fs.readFileSync(s.runFile, 'utf8'))).toEqual(doc);
  });

  it('a result the kind does not declare is kept, and reported once as a fault of icefat', async () => {
    const s = await setup({ ...kindOf(async (ctx) => void (await stageMeasurement(ctx))), quantities: ['gain.check'] });
    const events: string[] = [];
    s.scope.emit = (e) => void (e.kind === 'result.undeclared' && events.push(e.message));
    await runTask(s.scope, s.task, s.kind);
    expect(await s.results()).toHaveLength(1);
    expect(events).toEqual([
      'probe recorded gain.hv1e7, which it does not declare among its quantities: the results are kept; this is a fault of icefat, tell an expert',
    ]);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { VirtualClock } from '../../src/clock/clock.js';
import { answerPrompt, openPromptOf } from '../../src/engine/prompts.js';
import { runTask } from '../../src/engine/task-runner.js';
import type { TaskKind } from '../../src/tasks/types.js';
import { waitFor } from '../helpers/master.js';
import { oneTaskScope } from '../helpers/one-task.js';

/** A task that stays silent far past its estimate raises one alert; one waiting for a person raises none. */
describe('watchdog', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  /** the watchdog looks this often here (5 s in a master), so that several of its looks pass quickly */
  const POLL_MS = 50;
  /** ten of the watchdog's looks: what it would do, it has done by then */
  const tenPolls = () => new Promise((r) => setTimeout(r, 10 * POLL_MS));

  async function setup(kind: TaskKind) {
    const one = await oneTaskScope(kind);
    closers.push(one.close);
    one.scope.watchdogPollMs = POLL_MS;
    return { ...one, clock: one.ws.clock as VirtualClock };
  }

  it('alerts once when a task makes no progress for longer than its estimate allows, not a flood', async () => {
    const hang: TaskKind = {
      name: 'hang',
      summary: 'never progresses',
      params: z.object({}),
      positional: [],
      estimateS: () => 60,
      run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    };
    const { clock, task, events, ac, scope } = await setup(hang);
    const running = runTask(scope, task, hang).catch((e: Error) => e);
    await waitFor('the task to start', () => events.some((e) => e.kind === 'task.start'));
    await clock.advance(3 * 3600_000); // three lab hours of silence against a one-minute estimate
    await waitFor('the stall alert', () => events.some((e) => e.kind === 'task.stalled'));
    await tenPolls(); // more looks of the watchdog: still one alert
    const stalls = events.filter((e) => e.kind === 'task.stalled');
    expect(stalls).toHaveLength(1);
    expect(stalls[0].audience).toBe('people');
    expect(stalls[0].message).toMatch(/\[0\] k_0 has made no progress for 180 min .*--recover/);
    ac.abort(new Error('test over'));
    expect(await running).toMatchObject({ name: 'Interrupted' });
  }, 20_000);

  it('does not alert while the task waits for a person at a prompt', async () => {
    const ask: TaskKind = {
      name: 'ask',
      summary: 'asks a person',
      params: z.object({}),
      positional: [],
      estimateS: () => 0,
      run: async (ctx) => {
        await ctx.prompt('manual_input', 'continue?');
        return { ok: true };
      },
    };
    const { ws, clock, task, events, scope } = await setup(ask);
    const running = runTask(scope, task, ask);
    await waitFor('the prompt', () => events.some((e) => e.kind === 'prompt.open'));
    await clock.advance(12 * 3600_000); // the shifter is asleep for twelve lab hours
    await tenPolls();
    expect(events.filter((e) => e.kind === 'task.stalled')).toHaveLength(0);
    const p = await openPromptOf(ws);
    await answerPrompt(ws, p!.id, { answer: 'yes', reason: null, answeredBy: 'test', via: 'cli' });
    expect(await running).toEqual({ ok: true });
  }, 20_000);
});

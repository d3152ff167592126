import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { masterStates, query, runJson, setupRun, spawnFat, waitFor, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Ctrl+C: the master stops after the current step, records why, leaves the lab in its safe state
 * (laser off) and the run recoverable; `--recover` finishes it.
 */
describe('fat master and Ctrl+C', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterSigint, { timeScale: 50 });
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('SIGINT stops the run recoverably with the laser off, and --recover completes it', async () => {
    const ini = writeSchedule(env.dir, 'sigint', [
      { name: 'wait_time_0', task: 'wait_time', pause: 2 },
      { name: 'wait_time_1', task: 'wait_time', pause: 600 },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'after Ctrl+C' },
      { name: 'disable_laser_0', task: 'disable_laser' },
    ]);
    const master = spawnFat(env.dir, ['master', ini]);
    await waitFor('the long wait', () => query(env.dir, "select 1 from tasks where idx = 1 and state = 'running'")[0], 60_000, 20);
    // the laser is firing (someone left the generator on) when the shifter presses Ctrl+C
    env.lab.ctx.lab.setGeneratorOutput(true);
    expect(env.lab.ctx.lab.laserFiring).toBe(true);
    master.child.kill('SIGINT');
    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(130);
    expect(out).toContain('SIGINT: stopping after the current step; the run stays recoverable');
    expect(out).toContain('DAQ stopped by manual input. Reason given: interrupted with Ctrl+C');
    expect(out).toContain('--recover');
    expect(out).toContain('Lab left in its safe state: laser off');
    expect(env.lab.ctx.lab.laserFiring).toBe(false);

    expect(runJson(env.dir).RunTerminated).toBe('interrupted with Ctrl+C');
    expect(masterStates(env.dir)).toEqual({
      '[0] wait_time_0': 1,
      '[1] wait_time_1': -1,
      '[2] readout_and_readout_0': -1,
      '[3] disable_laser_0': -1,
    });
    expect(query(env.dir, 'select idx, state from tasks order by idx')).toEqual([
      { idx: 0, state: 'done' },
      { idx: 1, state: 'pending' },
      { idx: 2, state: 'pending' },
      { idx: 3, state: 'pending' },
    ]);
    expect(query(env.dir, 'select a.outcome from task_attempts a join tasks t on t.id = a.task_id where t.idx = 1')).toEqual([
      { outcome: 'interrupted' },
    ]);
    const kinds = query<{ kind: string }>(env.dir, 'select kind from events order by id').map((e) => e.kind);
    expect(kinds).toContain('run.interrupted');
    expect(kinds).toContain('run.safe-state');
    const st = await env.run(['status']);
    expect(st.stdout).toContain('master: not running');
    expect(st.stdout).toContain('1/4 tasks done, active, stopped: interrupted with Ctrl+C');

    const again = await env.run(['master', ini, '--recover']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('Schedule Completed');
    expect(Object.values(masterStates(env.dir))).toEqual([1, 1, 1, 1]);
    expect(query(env.dir, 'select a.outcome from task_attempts a join tasks t on t.id = a.task_id where t.idx = 1 order by a.id')).toEqual([
      { outcome: 'interrupted' },
      { outcome: 'done' },
    ]);
    expect(query(env.dir, 'select count(*) n from task_attempts a join tasks t on t.id = a.task_id where t.idx = 0')).toEqual([{ n: 1 }]);
  }, 120_000);
});

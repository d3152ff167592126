import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { entryCounts, masterStates, query, setupRun, spawnFat, waitFor, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * A module that dies during the run: the next status check power-cycles it once, then excludes it
 * with a warning, and the run finishes for the other 15.
 */
describe('fat master with a module that dies mid-run', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterDeadModule, { timeScale: 50 });
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('excludes the dead module at the status check and finishes for the others', async () => {
    const dead = env.lab.truth.modules[6];
    const ini = writeSchedule(env.dir, 'dead', [
      { name: 'wait_time_0', task: 'wait_time', pause: 150 },
      { name: 'status_check_0', task: 'status_check', verbose: false },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'without the dead one' },
      { name: 'wait_time_1', task: 'wait_time', pause: 2 },
    ]);
    const master = spawnFat(env.dir, ['master', ini]);
    // the connectivity test passed and the wait began: now the module dies
    await waitFor('the first wait', () => query(env.dir, "select 1 from tasks where idx = 0 and state = 'running'")[0], 60_000, 20);
    env.lab.ctx.faults.add({ kind: 'dead-module', target: String(dead.port) });

    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain(`D-Egg ${dead.deggSerial} (port ${dead.port}) failed its status check`);
    expect(out).toContain('power-cycling it once');
    expect(out).toContain(`D-Egg ${dead.deggSerial} on port ${dead.port} is excluded from the rest of the run`);
    expect(out).toContain('D-Eggs Responsive: 15 / 16');
    expect(out).toContain('Schedule Completed');
    expect(out).toContain('1 D-Egg(s) excluded');
    // one power cycle only: the check-failed warning appears once for the module
    expect(out.split(`(port ${dead.port}) failed its status check`)).toHaveLength(2);

    const mods = query<{ port: number; state: string; state_reason: string | null }>(
      env.dir,
      'select port, state, state_reason from modules order by port',
    );
    expect(mods.filter((m) => m.state === 'excluded').map((m) => m.port)).toEqual([dead.port]);
    expect(mods.find((m) => m.port === dead.port)?.state_reason).toMatch(/no answer after a power cycle/);
    expect(mods.filter((m) => m.state === 'active')).toHaveLength(15);

    // the readout after the check wrote entries for the 15, none for the excluded one
    const counts = entryCounts(
      env.dir,
      'ReadoutOnly',
      env.lab.truth.modules.map((m) => m.deggSerial),
    );
    expect(counts[dead.deggSerial]).toBe(0);
    expect(Object.entries(counts).filter(([s, n]) => s !== dead.deggSerial && n === 1)).toHaveLength(15);
    expect(Object.values(masterStates(env.dir))).toEqual([1, 1, 1, 1]);

    const st = await env.run(['status']);
    expect(st.stdout).toContain('D-Eggs: 15/16 active; excluded: ' + dead.deggSerial);
  }, 120_000);
});

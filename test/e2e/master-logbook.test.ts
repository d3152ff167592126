import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../src/station/workspace.js';
import { searchEntries } from '../../src/logbook/entries.js';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import { spawnFat, waitFor, writeSchedule } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The logbook's automatic entries from a real `fat master` on the simulated lab: the run's
 * creation, its start, the answer given with `fat answer` from another terminal (once, though the
 * master also announces it), and one run end listing all 16 D-Eggs, written by the master itself
 * (the store is read directly, without the sync `fat serve` and `fat log` do before they read).
 */
describe('fat master writes the logbook', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  // a loaded CI machine starts the DomNet stand-ins slowly: more than the helper's 60 s per command
  const run = (args: string[], e: Record<string, string> = {}) => fat(env.dir, args, e, 150_000);
  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterLogbook, { timeScale: 50 });
    allowSlowDomnet(env.dir, 140);
    const setup = await run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => env?.close(), 60_000);

  it('run created, run start, the operator answer and the run end with every module', async () => {
    expect((await run(['run', 'new', '--comment', 'logbook run'])).code).toBe(0);
    const sched = writeSchedule(env.dir, 'logbook', [
      { name: 'wait_time_0', task: 'wait_time', pause: 2 },
      { name: 'manual_input_0', task: 'manual_input', message: 'Close the freezer door' },
      { name: 'wait_time_1', task: 'wait_time', pause: 2 },
    ]);
    const master = spawnFat(env.dir, ['master', sched], { FAT_OPERATOR: 'alice' });
    await waitFor('the master to ask', () => master.output().includes('waiting for manual input'), 150_000);
    const answer = await run(['answer', 'yes'], { FAT_OPERATOR: 'bob' });
    expect(answer.code, answer.stderr).toBe(0);
    const done = await master.done;
    expect(done.code, done.stderr).toBe(0);

    const ws = await openWorkspace(env.dir);
    try {
      const auto = await searchEntries(ws, { run: 1, tag: 'auto' });
      expect(auto.map((e) => [e.kind, e.author])).toEqual([
        ['run-end', 'icefat'],
        ['operator-action', 'bob'],
        ['run-start', 'icefat'],
        ['run-created', 'icefat'],
      ]);
      expect(auto[1].text).toContain('bob answered yes to "Close the freezer door" with fat answer');
      const end = auto[0].text;
      expect(end).toContain('3/3 tasks done');
      expect(end.split('\n').filter((l) => /^\| \d+ \| DEgg/.test(l))).toHaveLength(16);
    } finally {
      await ws.close();
    }
  }, 400_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabProcess, type LabProcess } from '../../src/sim/lab-process.js';
import { fat } from '../helpers/fat-cli.js';
import { query, spawnFat, waitFor, writeSchedule, type Section } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `fat sim start --virtual-time` and a `fat master` in another process that follows its clock:
 * days of lab waits pass without wall waits, and after a SIGKILL mid-measurement `--recover` on
 * the same lab ends with every task done once, the run spanning its waits and little more (the
 * cancelling of a follower's waits is tested in test/clock/clock-link.test.ts).
 */
const DAY_S = 86_400;
const SCHEDULE: Section[] = [
  { name: 'wait_time_0', task: 'wait_time', pause: 2 * DAY_S },
  { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'killed midway', n_runs: 300, n_jobs: 4 },
  { name: 'wait_time_1', task: 'wait_time', pause: DAY_S },
  { name: 'status_check_0', task: 'status_check' },
];

describe('a master on the virtual time of a simulated lab in another process', () => {
  let home: string;
  let lab: LabProcess;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-virtual-time-'));
    lab = await startLabProcess({ home, seed: 4, basePort: TEST_PORTS.virtualTimeMaster });
    const made = await fat(home, ['run', 'new', '--comment', 'virtual time']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('runs days of lab time at once, survives a SIGKILL and ends with every task done once', async () => {
    const station = fs.readFileSync(path.join(home, 'station.toml'), 'utf8');
    expect(station).toContain(`lab_clock = "tcp://127.0.0.1:${TEST_PORTS.virtualTimeMaster + 98}"`);
    const ini = writeSchedule(home, 'virtual', SCHEDULE);

    const first = spawnFat(home, ['master', ini]);
    const scalerRunning = () =>
      query<{ state: string; progress: number }>(home, "select state, progress from tasks where section = 'measure_scaler_0'")[0];
    await waitFor(
      'the scaler measurement under way',
      () => first.child.exitCode !== null || (scalerRunning()?.state === 'running' && scalerRunning().progress > 0),
      90_000,
      20,
    );
    expect(first.child.exitCode, first.output()).toBeNull();
    first.child.kill('SIGKILL');
    await first.done;
    expect(scalerRunning()?.state).toBe('running');

    const recovered = await spawnFat(home, ['master', ini, '--recover']).done;
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);

    const tasks = query<{ section: string; state: string; started_at: string; ended_at: string; done: number }>(
      home,
      `select t.section, t.state, t.started_at, t.ended_at,
         (select count(*) from task_attempts a where a.task_id = t.id and a.outcome = 'done') as done
       from tasks t order by t.idx`,
    );
    expect(tasks.map((t) => [t.section, t.state, t.done])).toEqual(SCHEDULE.map((s) => [s.name, 'done', 1]));
    // the waits took exactly their lab time: the master's clock is the lab's
    const labS = (t: (typeof tasks)[number]) => (Date.parse(t.ended_at) - Date.parse(t.started_at)) / 1000;
    expect(labS(tasks[0])).toBe(2 * DAY_S);
    expect(labS(tasks[2])).toBe(DAY_S);
    // and the kill and restart cost no lab time worth the name: the whole run spans the waits and
    // the two scaler attempts, not another day
    const spanS = (Date.parse(tasks[3].ended_at) - Date.parse(tasks[0].started_at)) / 1000;
    expect(spanS).toBeGreaterThan(3 * DAY_S);
    expect(spanS).toBeLessThan(3 * DAY_S + 3600);
  }, 300_000);
});

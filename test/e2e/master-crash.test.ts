import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import {
  entryCounts,
  masterStates,
  query,
  setupRun,
  spawnFat,
  waitFor,
  writeSchedule,
  type Background,
  type Section,
} from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The durable journal: a master killed with `kill -9` at random moments and restarted with
 * `--recover` each time finishes the run with every task done exactly once and the same D-Egg
 * entries as an uninterrupted run of the same schedule in another lab.
 */
const SCHEDULE: Section[] = [
  { name: 'wait_time_0', task: 'wait_time', pause: 30 },
  { name: 'status_check_0', task: 'status_check', verbose: false },
  { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'first' },
  { name: 'wait_time_1', task: 'wait_time', pause: 30 },
  { name: 'disable_laser_0', task: 'disable_laser' },
  { name: 'readout_and_readout_1', task: 'readout_and_readout', comment: 'second' },
  { name: 'status_check_1', task: 'status_check', verbose: false },
  { name: 'wait_time_2', task: 'wait_time', pause: 30 },
  { name: 'readout_and_readout_2', task: 'readout_and_readout', comment: 'third' },
];

describe('fat master killed with kill -9 and recovered', () => {
  let crashed: Awaited<ReturnType<typeof labWithHome>>;
  let reference: Awaited<ReturnType<typeof labWithHome>>;
  let referenceDone: Promise<{ code: number; output: string }>;

  beforeAll(async () => {
    [crashed, reference] = await Promise.all([
      labWithHome(TEST_PORTS.masterCrash, { timeScale: 50 }),
      labWithHome(TEST_PORTS.masterCrashReference, { timeScale: 50, seed: 8 }),
    ]);
    await Promise.all([setupRun(crashed.run), setupRun(reference.run)]);
    // the uninterrupted run of the same schedule, meanwhile in the other lab
    const ini = writeSchedule(reference.dir, 'crash', SCHEDULE);
    referenceDone = reference.run(['master', ini]).then((r) => ({ code: r.code, output: r.stdout + r.stderr }));
  }, 120_000);
  afterAll(async () => Promise.all([crashed?.close(), reference?.close()]), 30_000);

  it('finishes with every task done exactly once and the same measurements as an uninterrupted run', async () => {
    const ini = writeSchedule(crashed.dir, 'crash', SCHEDULE);
    const kills: string[] = [];
    let master: Background = spawnFat(crashed.dir, ['master', ini]);
    const attemptsSoFar = () => query<{ n: number }>(crashed.dir, 'select count(*) n from task_attempts')[0]?.n ?? 0;
    for (let k = 0; k < 3; k++) {
      // once this master has started a task of its own, a moment chosen at random
      const before = k === 0 ? 0 : attemptsSoFar();
      await waitFor('the master to start a task', () => master.child.exitCode !== null || attemptsSoFar() > before, 60_000, 20);
      const delayMs = Math.round(Math.random() * 2500);
      await new Promise((r) => setTimeout(r, delayMs));
      if (master.child.exitCode !== null) break; // it finished before this kill
      master.child.kill('SIGKILL');
      await master.done;
      const states = query<{ idx: number; state: string }>(crashed.dir, 'select idx, state from tasks order by idx');
      kills.push(`kill ${k + 1}: ${delayMs} ms after a task started; journal ${states.map((s) => s.state[0]).join('')}`);
      master = spawnFat(crashed.dir, ['master', ini, '--recover']);
    }
    const last = await master.done;
    expect(last.code, `${kills.join('\n')}\n${last.stdout}${last.stderr}`).toBe(0);
    // a kill that lands after the schedule completed but before the process exited leaves nothing
    // to recover, which the last master says
    expect(last.stdout + last.stderr).toMatch(
      /Schedule Completed|No need to run in recovery mode: run 1's schedule \(MasterFAT_00\) completed/,
    );
    expect(kills.length, kills.join('\n')).toBeGreaterThan(0);

    // every task done exactly once: one 'done' attempt each, any other attempt cut short by a kill
    const tasks = query<{ id: number; idx: number; state: string }>(crashed.dir, 'select id, idx, state from tasks order by idx');
    expect(tasks.map((t) => t.state)).toEqual(SCHEDULE.map(() => 'done'));
    const attempts = query<{ task_id: number; outcome: string }>(crashed.dir, 'select task_id, outcome from task_attempts order by id');
    for (const t of tasks) {
      const mine = attempts.filter((a) => a.task_id === t.id).map((a) => a.outcome);
      expect(
        mine.filter((o) => o === 'done'),
        `[${t.idx}] ${kills.join('; ')}`,
      ).toHaveLength(1);
      expect(
        mine.filter((o) => o !== 'done' && o !== 'superseded' && o !== 'interrupted'),
        `[${t.idx}]`,
      ).toEqual([]);
      expect(mine[mine.length - 1]).toBe('done');
    }
    expect(query(crashed.dir, "select count(*) n from schedules where state = 'completed'")).toEqual([{ n: 1 }]);
    expect(Object.values(masterStates(crashed.dir))).toEqual(SCHEDULE.map(() => 1));

    // the same measurements as the uninterrupted run: as many ReadoutOnly entries per D-Egg
    const ref = await referenceDone;
    expect(ref.code, ref.output).toBe(0);
    const counts = (env: typeof crashed) =>
      Object.values(
        entryCounts(
          env.dir,
          'ReadoutOnly',
          env.lab.truth.modules.map((m) => m.deggSerial),
        ),
      );
    expect(counts(reference)).toEqual(Array(16).fill(3));
    expect(counts(crashed), kills.join('\n')).toEqual(counts(reference));
    expect(Object.values(masterStates(reference.dir))).toEqual(SCHEDULE.map(() => 1));
  }, 150_000);

  it('killed between a document change and its export, --recover leaves the store and every JSON file agreeing', async () => {
    const made = await crashed.run(['run', 'new', '--comment', 'export crash']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const ini = writeSchedule(
      crashed.dir,
      'export-crash',
      [{ name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'x' }],
      `${crashed.dir}/json/run/run_00002.json`,
    );
    // the 2nd commit that changes documents: the MasterFAT_00 entry, then the readout task's end
    // with its entries in the 16 D-Egg files and its state in the run file
    const first = await spawnFat(crashed.dir, ['master', ini], { FAT_TEST_KILL_AFTER_DOC_COMMIT: '2' }).done;
    expect(first.code, first.stdout + first.stderr).toBe(137);
    const docs = () =>
      query<{ path: string; body: string; version: number; exported: number }>(
        crashed.dir,
        'select path, body, version, exported from json_docs',
      );
    const onDisk = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as unknown;
    const stale = docs().filter((d) => d.exported < d.version);
    expect(stale).toHaveLength(17);
    for (const d of stale) expect(onDisk(d.path), d.path).not.toEqual(JSON.parse(d.body));

    const again = await spawnFat(crashed.dir, ['master', ini, '--recover']).done;
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const all = docs();
    expect(all.length).toBeGreaterThanOrEqual(34); // two runs: the run files and 16 D-Egg files each
    for (const d of all) {
      expect(d.exported, d.path).toBe(d.version);
      expect(onDisk(d.path), d.path).toEqual(JSON.parse(d.body));
    }
    expect(
      Object.values(
        entryCounts(
          crashed.dir,
          'ReadoutOnly',
          crashed.lab.truth.modules.map((m) => m.deggSerial),
          2,
        ),
      ),
    ).toEqual(Array(16).fill(1));
  }, 150_000);
});

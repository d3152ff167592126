import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/sim/faults.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { entryCounts, query, spawnFat, waitFor, writeSchedule, type Section } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * One D-Egg going bad in the middle of a run (issue 13, item 1): garbage bytes, a hang, or death,
 * injected into a running lab once measure_scaler has started. The module is power-cycled, then
 * excluded with an alert naming it and why; the task and the run go on for the other fifteen and
 * the master exits 0. And a master killed while a module is dead recovers by itself (`--recover`,
 * as the service restarts it): the silent module is excluded with an alert, no person needed.
 */
const SCHEDULE: Section[] = [
  { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'while it breaks', n_jobs: 4, n_runs: 400 },
  { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'after' },
  { name: 'wait_time_0', task: 'wait_time', pause: 30 },
  { name: 'readout_and_readout_1', task: 'readout_and_readout', comment: 'later' },
];

const FAULTS: FaultKind[] = ['garbage-module', 'hang-module', 'dead-module'];

describe('a module failing in the middle of a run', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let run = 0;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterModuleFault, { timeScale: 1000 });
  }, 120_000);
  afterAll(async () => env?.close(), 30_000);

  /** a new run with all 16 modules answering (`fat setup` reflashes one a power cycle left unconfigured), and its schedule */
  async function newRun(name: string): Promise<string> {
    for (const k of FAULTS) env.lab.ctx.faults.remove(k);
    const setup = await env.run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', name]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    run++;
    return writeSchedule(env.dir, name, SCHEDULE, `${env.dir}/json/run/run_${String(run).padStart(5, '0')}.json`);
  }
  const scalerRunning = () =>
    query<{ n: number }>(
      env.dir,
      `select count(*) n from tasks t join schedules s on s.id = t.schedule_id join runs r on r.id = s.run_id
       where r.run_number = ? and t.section = 'measure_scaler_0' and t.state = 'running' and t.progress > 0`,
      run,
    )[0]?.n;
  const moduleState = (port: number) =>
    query<{ state: string; state_reason: string | null }>(
      env.dir,
      'select m.state, m.state_reason from modules m join runs r on r.id = m.run_id where r.run_number = ? and m.port = ?',
      run,
      port,
    )[0];

  for (const kind of FAULTS) {
    it(`${kind}: the module is excluded with an alert and the run completes for the other fifteen`, async () => {
      const ini = await newRun(kind);
      const bad = env.lab.truth.modules[5];
      const master = spawnFat(env.dir, ['master', ini]);
      await waitFor('measure_scaler under way', () => master.child.exitCode !== null || scalerRunning(), 90_000, 20);
      env.lab.ctx.faults.add({ kind, target: String(bad.port) });
      const r = await master.done;
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(0);
      expect(out).toContain('Schedule Completed');
      expect(moduleState(bad.port).state).toBe('excluded');
      expect(moduleState(bad.port).state_reason).toBeTruthy();
      const alerts = query<{ message: string; level: string }>(
        env.dir,
        "select message, level from events where kind = 'module.excluded' and message like ? order by id desc limit 1",
        `%port ${bad.port}%`,
      );
      expect(alerts).toHaveLength(1);
      expect(alerts[0].level).toBe('warn');
      expect(alerts[0].message).toContain(bad.deggSerial);
      // the later tasks measured every other module once, and the excluded one not at all
      const others = env.lab.truth.modules.filter((m) => m.port !== bad.port);
      const later = entryCounts(
        env.dir,
        'ReadoutOnly',
        env.lab.truth.modules.map((m) => m.deggSerial),
        run,
      );
      for (const m of others) expect(later[m.deggSerial], m.deggSerial).toBeGreaterThanOrEqual(2);
      const tasks = query<{ state: string }>(
        env.dir,
        'select t.state from tasks t join schedules s on s.id = t.schedule_id join runs r on r.id = s.run_id where r.run_number = ? order by t.idx',
        run,
      );
      expect(tasks.map((t) => t.state)).toEqual(SCHEDULE.map(() => 'done'));
    }, 180_000);
  }

  it('another process holding the store locked for 4 s is waited out: no module blamed, the run completes', async () => {
    const ini = await newRun('store-lock');
    const master = spawnFat(env.dir, ['master', ini]);
    await waitFor('measure_scaler under way', () => master.child.exitCode !== null || scalerRunning(), 90_000, 20);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(`${env.dir}/fat.db`)}); db.exec('BEGIN EXCLUSIVE'); setTimeout(() => db.exec('COMMIT'), 4000);`,
      ],
      { cwd: path.resolve(import.meta.dirname, '../..'), stdio: 'inherit' },
    );
    const holderDone = new Promise((r) => holder.once('exit', r));
    const r = await master.done;
    await holderDone;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(
      query(
        env.dir,
        "select count(*) n from modules m join runs r on r.id = m.run_id where r.run_number = ? and m.state = 'excluded'",
        run,
      ),
    ).toEqual([{ n: 0 }]);
  }, 180_000);

  it('killed while a module is dead, --recover excludes it by itself and completes the run', async () => {
    const ini = await newRun('recover');
    const bad = env.lab.truth.modules[9];
    const first = spawnFat(env.dir, ['master', ini]);
    await waitFor('measure_scaler under way', () => first.child.exitCode !== null || scalerRunning(), 90_000, 20);
    first.child.kill('SIGKILL');
    await first.done;
    env.lab.ctx.faults.add({ kind: 'dead-module', target: String(bad.port) });
    const r = await spawnFat(env.dir, ['master', ini, '--recover']).done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('Schedule Completed');
    expect(moduleState(bad.port).state).toBe('excluded');
    expect(moduleState(bad.port).state_reason).toMatch(/no answer after a power cycle/);
  }, 180_000);
});

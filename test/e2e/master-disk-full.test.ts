import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBytes } from '../../src/util/disk-space.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { query, spawnFat, waitFor, writeSchedule, type Section } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * A full disk during a run (issue 13, item 3). The raw-data folder is a real 16 MiB file system
 * (tmpfs) that a filler file fills. Below `[master] min_free_mb` the master pauses before the next
 * measurement with one alert naming the folder, and goes on by itself once space is freed; a stop
 * while paused ends the wait at once. With the reserve turned off, a write that fails on the full
 * disk stops the task with "disk full: PATH" and blames no module; `--recover` finishes the run.
 */
const SCHEDULE: Section[] = [
  { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'before' },
  { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'on a full disk', n_jobs: 4, n_runs: 50 },
];

describe('fat master on a full disk', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let dataDir = '';
  let station = '';
  let run = 0;
  const filler = () => path.join(dataDir, 'filler');

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterDiskFull, { timeScale: 1000 });
    dataDir = path.join(env.dir, 'data');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dataDir]);
    station = fs.readFileSync(path.join(env.dir, 'station.toml'), 'utf8');
    const setup = await env.run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (dataDir) execFileSync('umount', ['-l', dataDir]);
    await env?.close();
  }, 30_000);

  /** the station's reserve, a new run and its schedule; the data disk left with `leaveBytes` free */
  async function newRun(name: string, minFreeMb: number, leaveBytes: number, sections = SCHEDULE): Promise<string> {
    fs.writeFileSync(path.join(env.dir, 'station.toml'), `${station}\n[master]\nmin_free_mb = ${minFreeMb}\n`);
    const made = await env.run(['run', 'new', '--comment', name]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    run++;
    fs.rmSync(filler(), { force: true });
    const fill = freeBytes(dataDir) - leaveBytes;
    if (fill > 0) fs.writeFileSync(filler(), Buffer.alloc(fill, 1));
    expect(freeBytes(dataDir)).toBeLessThanOrEqual(leaveBytes);
    return writeSchedule(env.dir, name, sections, `${env.dir}/json/run/run_${String(run).padStart(5, '0')}.json`);
  }
  const tasks = () =>
    query<{ section: string; state: string }>(
      env.dir,
      'select t.section, t.state from tasks t join schedules s on s.id = t.schedule_id join runs r on r.id = s.run_id where r.run_number = ? order by t.idx',
      run,
    );
  const events = (kind: string) =>
    query<{ level: string; message: string }>(
      env.dir,
      'select e.level, e.message from events e join runs r on r.id = e.run_id where r.run_number = ? and e.kind = ? order by e.id',
      run,
      kind,
    );
  const excluded = () =>
    query<{ n: number }>(
      env.dir,
      "select count(*) n from modules m join runs r on r.id = m.run_id where r.run_number = ? and m.state = 'excluded'",
      run,
    )[0].n;

  it('below min_free_mb the run pauses before the measurement with one alert, and goes on once space is freed', async () => {
    const ini = await newRun('low', 5, 2 * 1048576);
    const master = spawnFat(env.dir, ['master', ini]);
    await waitFor('the disk alert', () => master.child.exitCode !== null || events('disk.low').length, 90_000, 50);
    expect(master.child.exitCode, master.output()).toBeNull();
    const [alert] = events('disk.low');
    expect(alert.level).toBe('error');
    expect(alert.message).toContain(dataDir);
    expect(alert.message).toContain('min_free_mb');
    // held before the measurement: the readout ran, the scaler has not started
    expect(tasks()).toEqual([
      { section: 'readout_and_readout_0', state: 'done' },
      { section: 'measure_scaler_0', state: 'pending' },
    ]);
    const st = await env.run(['status']);
    expect(st.stdout).toContain(`free in ${dataDir}`);

    fs.rmSync(filler());
    const r = await master.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Schedule Completed');
    expect(events('disk.low')).toHaveLength(1);
    expect(events('disk.ok')).toHaveLength(1);
    expect(tasks().map((t) => t.state)).toEqual(['done', 'done']);
    expect(excluded()).toBe(0);
  }, 180_000);

  it('SIGTERM while paused for space stops the master within seconds, recoverably', async () => {
    const ini = await newRun('term', 5, 2 * 1048576);
    const master = spawnFat(env.dir, ['master', ini]);
    await waitFor('the disk alert', () => master.child.exitCode !== null || events('disk.low').length, 90_000, 50);
    const t0 = Date.now();
    master.child.kill('SIGTERM');
    const r = await master.done;
    expect(Date.now() - t0, 'seconds from SIGTERM to exit').toBeLessThan(10_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('SIGTERM: stopping after the current step');
    expect(tasks().map((t) => t.state)).toEqual(['done', 'pending']);
  }, 180_000);

  it('with no reserve, a write on the full disk stops the task with "disk full" and blames no module; --recover finishes', async () => {
    // the readout's CSV fails with the system's ENOSPC; the scaler's HDF5 files through icefat's writer
    for (const sections of [SCHEDULE, SCHEDULE.slice(1)]) {
      const ini = await newRun(`full-${sections.length}`, 0, 0, sections);
      const first = await spawnFat(env.dir, ['master', ini]).done;
      const out = first.stdout + first.stderr;
      expect(first.code, out).toBe(1);
      expect(out).toContain(`${sections[0].name} failed: disk full: ${dataDir}`);
      expect(out).toContain('free space on that disk');
      expect(excluded()).toBe(0);
      expect(events('module.excluded')).toHaveLength(0);
      expect(tasks()[0].state).toBe('failed');

      fs.rmSync(filler());
      const again = await spawnFat(env.dir, ['master', ini, '--recover']).done;
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(tasks().map((t) => t.state)).toEqual(sections.map(() => 'done'));
      expect(excluded()).toBe(0);
    }
  }, 240_000);
});

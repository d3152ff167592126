import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { entryCounts, masterStates, query, runJson, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `fat master` on a schedule of housekeeping tasks, through the real binary against the simulated
 * lab: it runs to the end and leaves behind what a shifter looks at (the run file's MasterFAT
 * entry, `fat status`, the events, a backup).
 */
describe('fat master runs a housekeeping schedule to the end', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterComplete, { timeScale: 50 });
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('exits 0 with "Schedule Completed", the run file, fat status, the events and the backup all agree', async () => {
    const ini = writeSchedule(env.dir, 'housekeeping', [
      { name: 'wait_time_0', task: 'wait_time', pause: 5 },
      { name: 'status_check_0', task: 'status_check', verbose: false },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'first look', backup: true },
      { name: 'disable_laser_0', task: 'disable_laser' },
      { name: 'readout_and_reboot_0', task: 'readout_and_reboot', comment: 'warm reboot' },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Schedule Completed');
    expect(r.stdout + r.stderr).toContain('5/5 tasks done');

    // the run file: MasterFAT_00 with every task done, the archived schedule, the date, the end
    const doc = runJson(env.dir);
    const entry = doc.MasterFAT_00 as Record<string, unknown>;
    expect(masterStates(env.dir)).toEqual({
      '[0] wait_time_0': 1,
      '[1] status_check_0': 1,
      '[2] readout_and_readout_0': 1,
      '[3] disable_laser_0': 1,
      '[4] readout_and_reboot_0': 1,
    });
    expect(fs.existsSync(entry.ConfigPath as string)).toBe(true);
    expect(fs.readFileSync(entry.ConfigPath as string, 'utf8')).toBe(fs.readFileSync(ini, 'utf8'));
    expect(entry.Date).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(entry.end_time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(doc.RunTerminated).toBeUndefined();

    // the readouts are in every D-Egg file, once each
    const serials = env.lab.truth.modules.map((m) => m.deggSerial);
    expect(Object.values(entryCounts(env.dir, 'ReadoutOnly', serials))).toEqual(serials.map(() => 1));
    expect(Object.values(entryCounts(env.dir, 'ReadoutReboot', serials))).toEqual(serials.map(() => 1));

    // fat status: the schedule completed, no master running
    const st = await env.run(['status', '--json']);
    expect(st.code, st.stderr).toBe(0);
    const s = JSON.parse(st.stdout) as {
      master: unknown;
      schedule: { state: string; done: number; total: number; key: string };
      prompt: unknown;
    };
    expect(s.master).toBeNull();
    expect(s.schedule).toMatchObject({ state: 'completed', done: 5, total: 5, key: 'MasterFAT_00' });
    expect(s.prompt).toBeNull();
    const text = await env.run(['status']);
    expect(text.stdout).toContain('master: not running');
    expect(text.stdout).toContain('5/5 tasks done, completed');

    // the journal and the events in the store
    const tasks = query<{ idx: number; state: string; attempts: number }>(env.dir, 'select idx, state, attempts from tasks order by idx');
    expect(tasks).toEqual([0, 1, 2, 3, 4].map((idx) => ({ idx, state: 'done', attempts: 1 })));
    const kinds = query<{ kind: string }>(env.dir, 'select kind from events order by id').map((e) => e.kind);
    expect(kinds).toContain('run.start');
    expect(kinds.filter((k) => k === 'task.start')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'task.done')).toHaveLength(5);
    expect(kinds).toContain('run.complete');

    // the run log, as the original's screen -L log
    const logs = fs.readdirSync(path.join(env.dir, 'logs')).filter((f) => f.includes('run_00001') || f.includes('00001'));
    expect(logs.length).toBeGreaterThan(0);

    // the run_backup after the readout: a snapshot with its manifest under <home>/backups/run_00001/
    const backups = path.join(env.dir, 'backups', 'run_00001');
    const snaps = fs.readdirSync(backups).filter((d) => !d.endsWith('.partial'));
    expect(snaps).toHaveLength(1);
    expect(snaps[0]).toMatch(/readout_and_readout_0/);
    expect(fs.existsSync(path.join(backups, snaps[0], 'manifest.json'))).toBe(true);
    expect(query(env.dir, 'select state from backups')).toEqual([{ state: 'done' }]);

    // the lab is left safe
    expect(env.lab.ctx.lab.laserFiring).toBe(false);
  }, 120_000);

  it('--recover on the completed run has nothing to do and exits 0', async () => {
    const ini = path.join(env.dir, 'housekeeping.ini');
    const r = await env.run(['master', ini, '--recover']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No need to run in recovery mode');
    expect(query(env.dir, 'select count(*) n from task_attempts')).toEqual([{ n: 5 }]);
  }, 60_000);
});

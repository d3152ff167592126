import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, query, setupRun, spawnFat, waitFor, writeSchedule, type Section } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * A master killed with `kill -9` in the middle of a measurement (raw data half written) and
 * restarted with `--recover` measures again from the start and keeps one clean record: one
 * finished attempt, one DarkrateScalerMeasurement entry per PMT and one set of results rows. A
 * task's entries and results commit with its end, so the killed attempt left none in the store or
 * the D-Egg files; its raw files stay in a folder of their own.
 */
const SCHEDULE: Section[] = [
  { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'killed midway', n_runs: 300, n_jobs: 4 },
  { name: 'wait_time_0', task: 'wait_time', pause: 10 },
];

describe('fat master killed during a measurement and recovered', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterCrashMeasurement, { timeScale: 1000 });
    await setupRun(env.run);
  }, 120_000);
  afterAll(async () => env?.close(), 30_000);

  it('re-measures from the start and records the measurement once', async () => {
    const ini = writeSchedule(env.dir, 'crash-measurement', SCHEDULE);
    const scalerDir = path.join(env.dir, 'data', 'scaler');
    const rawFiles = () =>
      fs.existsSync(scalerDir) ? fs.readdirSync(scalerDir, { recursive: true }).filter((f) => String(f).endsWith('.hdf5')) : [];

    const scalerEntries = (serial: string) => {
      const doc = deggJson(env.dir, serial) as Record<string, Record<string, unknown> | undefined>;
      return ['LowerPmt', 'UpperPmt'].flatMap((pmt) =>
        Object.entries(doc[pmt] ?? {}).filter(([k]) => k.startsWith('DarkrateScalerMeasurement_')),
      ) as Array<[string, { Folder?: string; Superseded?: string }]>;
    };

    const first = spawnFat(env.dir, ['master', ini]);
    await waitFor('the first PMT measured (its raw file)', () => first.child.exitCode !== null || rawFiles().length > 0, 90_000, 20);
    expect(first.child.exitCode, first.output()).toBeNull();
    first.child.kill('SIGKILL');
    await first.done;
    const filesAtKill = rawFiles().length;
    expect(filesAtKill).toBeGreaterThan(0);
    expect(filesAtKill, 'killed before the measurement finished').toBeLessThan(32);
    expect(query(env.dir, "select state from tasks where section = 'measure_scaler_0'")).toEqual([{ state: 'running' }]);
    // nothing of the unfinished measurement is on record
    for (const m of env.lab.truth.modules) expect(scalerEntries(m.deggSerial), m.deggSerial).toEqual([]);
    expect(query(env.dir, "select count(*) n from results where kind = 'measure_scaler'")).toEqual([{ n: 0 }]);

    const recovered = await spawnFat(env.dir, ['master', ini, '--recover']).done;
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);

    const attempts = query<{ outcome: string }>(
      env.dir,
      "select a.outcome from task_attempts a join tasks t on t.id = a.task_id where t.section = 'measure_scaler_0' order by a.id",
    ).map((a) => a.outcome);
    expect(attempts.filter((o) => o === 'done')).toHaveLength(1);
    expect(attempts[attempts.length - 1]).toBe('done');

    // one entry per PMT, none superseded, all in one folder that holds the 32 PMTs' files; the
    // killed attempt's raw files stay in a folder of their own
    const folders = new Set<string>();
    for (const m of env.lab.truth.modules) {
      const entries = scalerEntries(m.deggSerial);
      expect(entries, m.deggSerial).toHaveLength(2);
      for (const [, e] of entries) {
        expect(e.Superseded).toBeUndefined();
        folders.add(String(e.Folder));
      }
    }
    expect(folders.size).toBe(1);
    const folder = [...folders][0];
    expect(fs.readdirSync(folder).filter((f) => f.endsWith('.hdf5'))).toHaveLength(32);
    expect(rawFiles().length).toBe(32 + filesAtKill);

    // the results table holds the measurement once, not once per attempt
    const perPmt = query<{ n: number }>(env.dir, "select count(*) n from results where kind = 'measure_scaler' group by port, pmt, name");
    expect(perPmt).toHaveLength(32);
    expect(perPmt.every((r) => r.n === 1)).toBe(true);
  }, 240_000);
});

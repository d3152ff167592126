import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, masterStates, query, setupRun, writeSchedule } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The module checks as tasks of `fat master`: a schedule of measure_baseline,
 * measure_baseline_flasher, stf (the original's alias) and stf_ana completes and leaves the records
 * a shifter looks at; stf_ana on a run without STF results fails and says what to run.
 */
describe('baseline, flasher, STF and stf_ana under fat master', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.moduleTestsMaster, { timeScale: 1000 });
    allowSlowDomnet(env.dir);
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('a schedule of the four kinds completes; the D-Egg files, the results and the STF summary agree', async () => {
    const ini = writeSchedule(env.dir, 'module-tests', [
      { name: 'measure_baseline_0', task: 'measure_baseline', comment: 'in schedule', n_jobs: 4, dac_value: 30000 },
      { name: 'measure_baseline_flasher_0', task: 'measure_baseline_flasher', comment: 'in schedule', n_jobs: 4, n_events: 20 },
      { name: 'stf_0', task: 'stf', comment: 'in schedule', n_jobs: 4 },
      { name: 'stf_ana_0', task: 'stf_ana' },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(masterStates(env.dir)).toEqual({
      '[0] measure_baseline_0': 1,
      '[1] measure_baseline_flasher_0': 1,
      '[2] stf_0': 1,
      '[3] stf_ana_0': 1,
    });
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      const lower = doc.LowerPmt as Record<string, Record<string, unknown>>;
      expect(lower.BaselineMeasurement_00).toMatchObject({ Comment: 'in schedule', DAC: 30000 });
      expect(Math.abs((lower.BaselineMeasurement_00.Baseline as number) - m.pmts[0].baselineAtDac30000Adc)).toBeLessThan(0.5);
      expect(lower.FlasherCheck_00).toMatchObject({ Comment: 'in schedule', Events: 20, LEDsWorking: 12 });
      expect(doc.STF_00).toMatchObject({ Comment: 'in schedule', Passed: true, FailedItems: [] });
    }
    const verdicts = query<{ name: string; verdict: string; n: number }>(
      env.dir,
      "select name, verdict, count(*) as n from results where name in ('baseline.mean', 'flasher.leds_working', 'stf.failed_items') group by name, verdict",
    );
    expect(verdicts).toEqual(
      expect.arrayContaining([
        { name: 'baseline.mean', verdict: 'pass', n: 32 },
        { name: 'flasher.leds_working', verdict: 'pass', n: 16 },
        { name: 'stf.failed_items', verdict: 'pass', n: 16 },
      ]),
    );
    expect(verdicts).toHaveLength(3);
    const summary = query<{ message: string }>(env.dir, "select message from events where kind = 'stf.summary'");
    expect(summary.map((e) => e.message)).toEqual(['STF of run 1: 16/16 modules passed']);
  }, 150_000);
  it('stf_ana before any STF fails the task with a message that says what to run', async () => {
    // a new run: the STF of run 1 is not its STF
    const made = await env.run(['run', 'new', '--comment', 'second']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const ini = writeSchedule(env.dir, 'ana-only', [{ name: 'stf_ana_0', task: 'stf_ana' }], path.join(env.dir, 'json/run/run_00002.json'));
    const r = await env.run(['master', ini]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('stf_ana: run 2 has no STF results: run measure_stf first');
    expect(masterStates(env.dir, 'MasterFAT_00', 2)['[0] stf_ana_0']).not.toBe(1);
  }, 60_000);
});

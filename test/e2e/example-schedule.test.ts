import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darkRateHz } from '../../src/sim/physics.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { catalogue } from '../../src/tasks/catalogue.js';
import { deggJson, openPrompt, query, setupRun, spawnFat, waitFor, type Background } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The seed's example schedule (`fat schedule create --template example`) runs end to end on the
 * simulated lab under `fat master`, with fewer events per measurement than on a real lab: every
 * task done once, the measurements in the D-Egg files and the store, the HV at gain 1e7 of all 32
 * PMTs within 1% of the simulator's truth, the raw data readable by h5py, and `fat results`
 * showing a verdict per module.
 */
const FEWER: Record<string, string[]> = {
  measure_gain: ['n_events = 2000'],
  measure_scaler: ['n_runs = 50'],
  measure_linearity: ['n_events = 200'],
  measure_pulsed_waveform: ['n_events = 200'],
  measure_baseline_flasher: ['n_events = 50'],
};

describe("the seed's example schedule on the simulated lab", () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let master: Background | undefined;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.exampleSchedule, { timeScale: 1000 });
    await setupRun(env.run);
  }, 120_000);
  afterAll(async () => {
    if (master && master.child.exitCode === null) master.child.kill('SIGKILL');
    await env?.close();
  }, 30_000);

  it('runs to the end and produces every measurement, judged', async () => {
    const ini = path.join(env.dir, 'fat_config.ini');
    const created = await env.run(['schedule', 'create', '1', ini, '--template', 'example']);
    expect(created.code, created.stderr).toBe(0);
    const lines = fs.readFileSync(ini, 'utf8').split('\n');
    fs.writeFileSync(ini, lines.flatMap((l) => [l, ...(FEWER[/^task = (\w+)$/.exec(l)?.[1] ?? ''] ?? [])]).join('\n'));
    const checked = await env.run(['schedule', 'check', ini]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);

    master = spawnFat(env.dir, ['master', ini]);
    const prompt = await waitFor('the closing manual input', () => openPrompt(env.dir), 400_000, 500);
    expect(prompt.message).toContain('Example schedule finished');
    const answered = await env.run(['answer', 'yes']);
    expect(answered.code, answered.stderr).toBe(0);
    const done = await master.done;
    expect(done.code, master.output()).toBe(0);

    const tasks = query<{ kind: string; state: string; attempts: number }>(env.dir, 'select kind, state, attempts from tasks order by idx');
    expect(tasks.map((t) => t.kind)).toEqual([
      'wait_time',
      'readout_and_reboot',
      'measure_stf',
      'measure_gain',
      'measure_gain',
      'measure_scaler',
      'measure_linearity',
      'measure_pulsed_waveform',
      'measure_baseline_flasher',
      'readout_and_reboot',
      'manual_input',
    ]);
    expect(tasks.every((t) => t.state === 'done' && t.attempts === 1)).toBe(true);
    // every result is one of the quantities its task's kind declares
    const recorded = query<{ kind: string; name: string }>(
      env.dir,
      'select distinct t.kind, r.name from results r join tasks t on t.id = r.task_id order by 1, 2',
    );
    const cat = catalogue();
    expect(recorded.filter((r) => !cat.get(r.kind)?.quantities?.includes(r.name))).toEqual([]);
    expect(new Set(recorded.map((r) => r.kind)).size).toBeGreaterThanOrEqual(6);
    expect(query(env.dir, "select message from events where kind = 'result.undeclared'")).toEqual([]);

    const airC = env.lab.ctx.lab.freezer.temperatureC();
    const darkRates: Array<{ what: string; deviation: number }> = [];
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      expect(
        Object.keys(doc).filter((k) => /^STF_\d+$/.test(k)),
        m.deggSerial,
      ).toHaveLength(1);
      for (const p of m.pmts) {
        const sec = doc[p.name] as Record<string, unknown>;
        for (const key of [
          'GainMeasurement_00',
          'GainMeasurement_01',
          'DarkrateScalerMeasurement_00',
          'LinearityMeasurement_00',
          'DoublePulse_00',
        ])
          expect(sec[key], `${m.deggSerial} ${p.name} ${key}`).toBeDefined();
        if (p.name === 'LowerPmt') expect(sec.FlasherCheck_00, `${m.deggSerial} FlasherCheck_00`).toBeDefined();
        // the dark rate at 0.25 PE, once the gain scans have set the threshold, is the truth's at the freezer air
        const dark = sec.DarkrateScalerMeasurement_00 as { DarkRateMeanHz: number };
        const truthHz = darkRateHz(p, airC);
        darkRates.push({
          what: `${m.deggSerial} ${p.name}: ${dark.DarkRateMeanHz.toFixed(0)} Hz vs truth ${truthHz.toFixed(0)} Hz`,
          deviation: Math.abs(dark.DarkRateMeanHz / truthHz - 1),
        });
        const hv = sec.HV1e7Gain as number;
        expect(Math.abs(hv / p.hv1e7Volts - 1), `${m.deggSerial} ${p.name}: ${hv} V vs truth ${p.hv1e7Volts} V`).toBeLessThan(0.01);
      }
    }

    const worst = darkRates.reduce((a, b) => (b.deviation > a.deviation ? b : a));
    expect(worst.deviation, `worst of 32: ${worst.what}`).toBeLessThan(0.05);

    // a raw-data file of the second gain scan, read by h5py as an analyst would
    const sec = deggJson(env.dir, env.lab.truth.modules[0].deggSerial).LowerPmt as Record<
      string,
      { Folder: string; points: Array<{ file: string }> }
    >;
    const file = path.join(sec.GainMeasurement_01.Folder, sec.GainMeasurement_01.points[0].file);
    const py = `import h5py, json, sys\nwith h5py.File(sys.argv[1]) as f:\n    print(json.dumps({'degg': f.attrs['degg'], 'hv': float(f.attrs['hv_volts']), 'n': len(f['charge_pc']), 'units': f['charge_pc'].attrs['units']}))`;
    const seen = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' })) as {
      degg: string;
      hv: number;
      n: number;
      units: string;
    };
    expect(seen).toMatchObject({ degg: env.lab.truth.modules[0].deggSerial, units: 'pC' });
    expect(seen.n).toBeGreaterThanOrEqual(2000);
    expect(file).toContain(`${seen.hv}V`);

    const results = await env.run(['results', '--json']);
    expect(results.code, results.stderr).toBe(0);
    const r = JSON.parse(results.stdout) as { modules: Array<{ serial: string; verdict: string; judged: number }> };
    expect(r.modules).toHaveLength(16);
    for (const m of r.modules) {
      expect(['pass', 'marginal', 'fail']).toContain(m.verdict);
      // gain (3 per PMT), dark rate, linearity, double pulse per PMT, flasher and STF per module
      expect(m.judged, m.serial).toBeGreaterThanOrEqual(10);
    }
  }, 600_000);
});

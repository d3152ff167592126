import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseLinearity } from '../../src/analysis/linearity.js';
import { saturationRatio } from '../../src/sim/physics.js';
import { LINEARITY, TRANSMISSIONS } from '../../src/tasks/measure-linearity.js';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, masterStates, query, setupRun, writeSchedule } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { seedHv1e7 } from '../helpers/docs.js';

/**
 * `measure_linearity` through the real binary against the simulated lab. Each simulated PMT
 * saturates as n / (1 + n / saturationPe) with its own scale, so the charge ratio at 200 PE it
 * should report is known per PMT; the light per unit transmission is the laser's 400 PE times
 * the PMT's fibre transmission.
 */
interface Summary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: 'LowerPmt' | 'UpperPmt';
    pmtSerial: string;
    chargeRatio200Pe: number;
    pePerTransmission: number;
    points: Array<{
      transmission: number;
      observedPe: number;
      expectedPe: number;
      ratio: number;
      laserEvents: number;
      laserShots: number;
      triggers: number;
    }>;
  }>;
  failures: unknown[];
}

describe('measure_linearity on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.measureLinearity, { timeScale: 1000 });
    allowSlowDomnet(env.dir);
    await setupRun(env.run);
    // as after a gain scan: every PMT at its HV for gain 1e7
    await seedHv1e7(env.dir, env.lab.truth);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat measure linearity: the charge ratio at 200 PE of every PMT follows its saturation, the laser ends off', async () => {
    const r = await env.run(['measure', 'linearity', '-j', '4', '--events', '300', '--comment', 'lin', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.failures).toEqual([]);
    expect(s.pmts).toHaveLength(32);
    const ratios: number[] = [];
    const deviations: number[] = [];
    const scales: number[] = [];
    for (const p of s.pmts) {
      const truth = env.lab.truth.modules.find((x) => x.port === p.port)!.pmts[p.pmt === 'LowerPmt' ? 0 : 1];
      const what = `${p.serial} ${p.pmt} (saturation ${truth.saturationPe.toFixed(0)} PE, fibre ${truth.fibreTransmission.toFixed(2)})`;
      // light per unit transmission: 400 PE through the fibre (300 shots per setting: ~2% statistics),
      // as the analysis sees it through the calibration settings, which the PMT's own saturation
      // already lowers a little (most for the PMTs that saturate earliest). A PMT behind a dim fibre
      // (transmission ~0.6) is calibrated at 1-3 PE, where the analysis reads up to ~5% low (seen
      // over repeated runs: the same PMTs lowest each time, down to 0.935): 10% leaves room for both.
      const truePe = TRANSMISSIONS.map((t) => 400 * truth.fibreTransmission * t);
      const seenTruth = analyseLinearity(
        TRANSMISSIONS,
        truePe.map((n) => n * saturationRatio(n, truth.saturationPe)),
        { calibrationIndices: LINEARITY.calibrationIndices },
      );
      const scale = p.pePerTransmission / (seenTruth.points[0].expectedPe / TRANSMISSIONS[0]);
      scales.push(scale);
      expect(Math.abs(scale - 1), what).toBeLessThan(0.1);
      // the ratio at 200 PE follows the PMT's saturation law: the truth's PE at each setting through
      // the same analysis (its calibration settings are up to 2% saturated themselves)
      const expected = seenTruth.ratioAtPe;
      // The calibration (three settings of a few PE each, 300 shots) is known to ~1.5 % and is
      // checked above; the ratio inherits that error, so it is compared with the truth seen through
      // the measured calibration, which leaves the ~0.5 % statistics of the points near 200 PE.
      const throughMeasuredCalibration = analyseLinearity(
        TRANSMISSIONS,
        truePe.map((n, i) => (i === 0 ? p.pePerTransmission * TRANSMISSIONS[0] : n * saturationRatio(n, truth.saturationPe))),
        { referenceIndex: 0 },
      ).ratioAtPe;
      deviations.push(p.chargeRatio200Pe - throughMeasuredCalibration);
      expect(
        Math.abs(p.chargeRatio200Pe - throughMeasuredCalibration),
        `${what}: ${p.chargeRatio200Pe} vs ${throughMeasuredCalibration} (${expected} with the true calibration)`,
      ).toBeLessThan(0.025);
      expect(Math.abs(expected - saturationRatio(200, truth.saturationPe))).toBeLessThan(0.03);
      ratios.push(p.chargeRatio200Pe);
      // every setting: the laser seen in nearly every shot above the lowest ones, and the points fall with the PE
      expect(p.points).toHaveLength(10);
      for (const pt of p.points.slice(3)) expect(pt.laserEvents / pt.laserShots, what).toBeGreaterThan(0.97);
      expect(p.points[9].ratio).toBeLessThan(p.points[3].ratio);
    }
    // no bias over the 32 PMTs: of the calibration, and of the ratio given the calibration (the
    // ratio against the true calibration is not averaged: all PMTs see the same laser shots, so its
    // calibration error is common to them, ~0.005 from run to run)
    expect(Math.abs(scales.reduce((a, b) => a + b, 0) / scales.length - 1)).toBeLessThan(0.03);
    expect(Math.abs(deviations.reduce((a, b) => a + b, 0) / deviations.length), deviations.map((d) => d.toFixed(3)).join(' ')).toBeLessThan(
      0.01,
    );
    // the PMTs differ, and the measurement sees it
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeGreaterThan(0.08);

    expect(env.lab.ctx.lab.fg.outputOn).toBe(false);
    // raw data: one file per PMT and setting, named <PMT>_<strength>.hdf5
    const files = fs.readdirSync(s.folder).filter((f) => f.endsWith('.hdf5'));
    expect(files).toHaveLength(320);
    const first = s.pmts[0];
    const raw = await readHdf5(path.join(s.folder, `${first.pmtSerial}_0.025.hdf5`));
    expect(raw.attrs).toMatchObject({
      degg: first.serial,
      port: first.port,
      pmt: first.pmt,
      dac: 5000,
      threshold_adc_over_baseline: 95,
      filter_wheel_0: 0.05,
      filter_wheel_1: 0.5,
    });
    const locked = raw.datasets.laser_locked.value as Uint8Array;
    expect(locked.length).toBe(first.points[1].triggers);
    expect(raw.datasets.waveforms_adc.shape).toEqual([first.points[1].laserEvents, 128]);

    for (const m of env.lab.truth.modules) {
      for (const pmt of ['LowerPmt', 'UpperPmt'] as const) {
        const e = (deggJson(env.dir, m.deggSerial)[pmt] as Record<string, Record<string, unknown>>).LinearityMeasurement_00;
        expect(e, `${m.deggSerial} ${pmt}`).toMatchObject({ Folder: s.folder, Comment: 'lin', laserFreq: 100, DacValue: 5000 });
        expect((e.ObservedPE as number[]).length).toBe(10);
        expect(e.ChargeRatio200PE).toBeCloseTo(s.pmts.find((x) => x.port === m.port && x.pmt === pmt)!.chargeRatio200Pe, 9);
      }
    }
    const rows = query<{ name: string; value: number; verdict: string }>(env.dir, "select * from results where kind = 'measure_linearity'");
    expect(rows).toHaveLength(32);
    for (const row of rows) {
      expect(row.name).toBe('linearity.charge_ratio_200pe');
      expect(row.verdict).toBe(row.value >= 0.65 ? 'pass' : row.value >= 0.6 ? 'marginal' : 'fail');
    }
  }, 120_000);

  it('fat master runs measure_linearity in a schedule and turns the laser off', async () => {
    const ini = writeSchedule(env.dir, 'linearity', [
      { name: 'linearity_0', task: 'measure_linearity', comment: 'in schedule', n_jobs: 4, n_events: 100 },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(masterStates(env.dir)).toEqual({ '[0] linearity_0': 1 });
    expect(env.lab.ctx.lab.fg.outputOn).toBe(false);
    for (const m of env.lab.truth.modules) {
      const e = (deggJson(env.dir, m.deggSerial).UpperPmt as Record<string, Record<string, unknown>>).LinearityMeasurement_01;
      expect(e, m.deggSerial).toMatchObject({ Comment: 'in schedule', Events: 100 });
    }
  }, 120_000);
});

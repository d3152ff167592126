import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_ADC_PER_DAC, saturationRatio } from '../../src/sim/physics.js';
import { FLASHER_BIASES } from '../../src/analysis/flasher.js';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, query } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { seedHv1e7 } from '../helpers/docs.js';

/**
 * `fat measure baseline` and `fat measure flasher` through the real binary against the simulated
 * lab: the baselines agree with the simulator's truth, every LED of every flasher ring is found
 * working with the light the truth gives it, and a dead LED is found and named.
 */
interface BaselineSummary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: 'LowerPmt' | 'UpperPmt';
    pmtSerial: string;
    baselineAdc: number;
    baselineStdAdc: number;
    file: string;
  }>;
  failures: unknown[];
}

interface FlasherSummary {
  folder: string;
  modules: Array<{
    port: number;
    serial: string;
    pmtSerial: string;
    ledsWorking: number;
    leds: Array<{
      led: number;
      mask: number;
      works: boolean;
      lightPe: number[];
      slopePePerKiloBias: number;
      slopeErr: number;
      reason: string;
    }>;
  }>;
  failures: unknown[];
}

describe('measure_baseline and measure_baseline_flasher on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.moduleTestsBaselineFlasher, { timeScale: 1000 });
    allowSlowDomnet(env.dir);
    const setup = await env.run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', 'x']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat measure baseline: mean and noise of every PMT agree with the truth; BaselineFilename points at the waveforms', async () => {
    const r = await env.run(['measure', 'baseline', '--comment', 'bl', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as BaselineSummary;
    expect(s.failures).toEqual([]);
    expect(s.pmts).toHaveLength(32);
    for (const p of s.pmts) {
      const truth = env.lab.truth.modules.find((x) => x.port === p.port)!.pmts[p.pmt === 'LowerPmt' ? 0 : 1];
      expect(Math.abs(p.baselineAdc - truth.baselineAtDac30000Adc), `${p.serial} ${p.pmt}`).toBeLessThan(0.3);
      expect(Math.abs(p.baselineStdAdc / truth.baselineNoiseAdc - 1), `${p.serial} ${p.pmt} noise`).toBeLessThan(0.1);
      const doc = deggJson(env.dir, p.serial);
      const sec = doc[p.pmt] as Record<string, unknown>;
      expect(sec.BaselineFilename).toBe(p.file);
      expect(sec.BaselineMeasurement_00).toMatchObject({
        Folder: s.folder,
        Comment: 'bl',
        DAC: 30000,
        Baseline: p.baselineAdc,
        BaselineStd: p.baselineStdAdc,
      });
    }
    expect(path.basename(path.dirname(s.folder))).toBe('baseline');
    const first = s.pmts[0];
    expect(first.file).toBe(path.join(s.folder, `${first.pmtSerial}.hdf5`));
    const raw = await readHdf5(first.file);
    expect(raw.attrs).toMatchObject({ degg: first.serial, port: first.port, pmt: first.pmt, dac: 30000, samples: 1024, waveforms: 50 });
    const w = raw.datasets.waveforms;
    expect(w.shape).toEqual([50, 1024]);
    const adc = w.value as Uint16Array;
    expect(adc.reduce((a, b) => a + b, 0) / adc.length).toBeCloseTo(first.baselineAdc, 6);

    const rows = query<{ name: string; verdict: string; value: number }>(env.dir, "select * from results where kind = 'measure_baseline'");
    expect(rows.filter((x) => x.name === 'baseline.mean')).toHaveLength(32);
    expect(rows.filter((x) => x.name === 'baseline.std')).toHaveLength(32);
    expect(new Set(rows.map((x) => x.verdict))).toEqual(new Set(['pass']));

    // another DAC moves the baseline by the simulator's slope; it is recorded without a verdict
    const other = await env.run(['measure', 'baseline', '--dac', '25000']);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    const m0 = env.lab.truth.modules[0];
    const line = other.stdout.split('\n').find((l) => l.includes(`port ${m0.port} `) && l.includes('LowerPmt'))!;
    const measured = Number(/: (\d+\.\d+) ± /.exec(line)![1]);
    expect(measured).toBeCloseTo(m0.pmts[0].baselineAtDac30000Adc - 5000 * BASELINE_ADC_PER_DAC, 0);
    expect(query(env.dir, "select * from results where name = 'baseline.mean_other_dac' and verdict = 'info'")).toHaveLength(32);
  }, 120_000);

  it('fat measure flasher: all 12 LEDs of every ring work with the truth light; a dead LED is found and named, a dead HV is not blamed on the LEDs', async () => {
    // HV1e7Gain as a gain scan would have left it, so charges convert to photoelectrons at gain 1e7
    await seedHv1e7(env.dir, env.lab.truth, [0]);
    const r = await env.run(['measure', 'flasher', '--events', '40', '--comment', 'leds', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as FlasherSummary;
    expect(s.failures).toEqual([]);
    expect(s.modules).toHaveLength(16);
    for (const x of s.modules) {
      const module = env.lab.truth.modules.find((m) => m.port === x.port)!;
      const truth = module.flasher;
      expect(x.ledsWorking, x.serial).toBe(12);
      for (const l of x.leds) {
        // the light the truth gives at each bias, after the lower PMT's space-charge saturation
        // (which bends the top of the range about 3% down)
        const steps = FLASHER_BIASES.map((b) => (b - truth.biasThreshold) / 1024);
        const light = steps.map((k) => {
          const pe = truth.pePerKiloBias[l.led - 1] * k;
          return pe * saturationRatio(pe, module.pmts[0].saturationPe);
        });
        // its slope, PE per 1024 bias steps, is measured within the stated error (pulls scatter
        // with a standard deviation of 1.0 over 576 LEDs, at most 3.3; about 2.5% of the slope)
        const slope = lineSlope(steps, light);
        const at = `${x.serial} LED ${l.led}: ${l.slopePePerKiloBias} ± ${l.slopeErr} against ${slope}`;
        expect(Math.abs(l.slopePePerKiloBias - slope) / l.slopeErr, at).toBeLessThan(5);
        expect(Math.abs(l.slopePePerKiloBias / slope - 1), at).toBeLessThan(0.15);
        // 40 flashes a point: the mean light at the top bias scatters by ~4% (Poisson and SPE width)
        expect(Math.abs(l.lightPe[9] / light[9] - 1), `${x.serial} LED ${l.led} at the top bias`).toBeLessThan(0.2);
      }
      const entry = (deggJson(env.dir, x.serial).LowerPmt as Record<string, Record<string, unknown>>).FlasherCheck_00;
      expect(entry).toMatchObject({
        Folder: s.folder,
        Comment: 'leds',
        DacValue: 2000,
        Period: 10,
        LEDsWorking: 12,
        led_mask: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
        led_bias_power: Array.from({ length: 10 }, (_, i) => 0x5000 + 1024 * i),
      });
      expect(entry.HV as number).toBeGreaterThan(1000);
    }
    const raw = await readHdf5(path.join(s.folder, `${s.modules[0].pmtSerial}.hdf5`));
    expect(raw.datasets.charge_pc.shape).toEqual([12, 10, 40]);
    expect(raw.attrs).toMatchObject({ dac: 2000, events: 40, leds_working: 12, pmt: 'LowerPmt' });

    // LED 4 of one module gives no light: exactly that LED is named, the others still work
    const victim = env.lab.truth.modules[5];
    env.lab.ctx.faults.add({ kind: 'dead-led', target: `${victim.port}/4` });
    // and one whose lower PMT gets no HV: that is reported as an HV fault, not as twelve dead LEDs
    const noHv = env.lab.truth.modules[9];
    env.lab.ctx.faults.add({ kind: 'dead-hv', target: `${noHv.port}/0` });
    try {
      const bad = await env.run(['measure', 'flasher', '--events', '30']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toContain(`port ${victim.port} ${victim.deggSerial} LowerPmt`);
      expect(bad.stdout).toMatch(new RegExp(`port ${victim.port} .*: 11/12 LEDs work`));
      expect(bad.stdout).toMatch(/LED 4 \(mask 0x0008\): no light/);
      expect(bad.stdout.match(/\[FAIL\]/g)).toHaveLength(2);
      expect(bad.stdout).toMatch(
        new RegExp(`\\[FAIL\\] port ${noHv.port} ${noHv.deggSerial}: .*LowerPmt: HV readback \\d+ V .*the PMT cannot see the LEDs`),
      );
      expect(bad.stderr).toContain(`Flasher of ${victim.deggSerial} (port ${victim.port}): 1 of 12 LEDs do not work: LED 4`);
      const rows = query<{ degg_serial: string; value: number; verdict: string; detail: string }>(
        env.dir,
        "select * from results where name = 'flasher.leds_working' order by id desc limit 15",
      );
      const row = rows.find((x) => x.degg_serial === victim.deggSerial)!;
      expect(row).toMatchObject({ value: 11, verdict: 'fail' });
      expect(JSON.parse(row.detail)).toMatchObject({ notWorking: [4] });
      expect(rows.find((x) => x.degg_serial === noHv.deggSerial)).toBeUndefined();
      expect(rows.filter((x) => x.verdict === 'pass')).toHaveLength(14);
    } finally {
      env.lab.ctx.faults.remove('dead-led');
      env.lab.ctx.faults.remove('dead-hv');
    }
  }, 120_000);
});

/** the least-squares slope of y against x */
function lineSlope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i] - my);
    sxx += (v - mx) ** 2;
  });
  return sxy / sxx;
}

import { describe, expect, it } from 'vitest';
import { baselineStats } from '../../src/analysis/baseline.js';
import { chargeStats, FLASHER_BIASES, judgeLed, ledMask } from '../../src/analysis/flasher.js';
import { communicationItem, darkRateItem, hvItem, summariseStf, supplyItems, temperatureItem } from '../../src/analysis/stf.js';

/** a deterministic Gaussian sample (Box-Muller on a fixed LCG) */
function gauss(n: number, mean: number, sigma: number, seed = 1): Float64Array {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + sigma * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

describe('baselineStats', () => {
  it('is the mean and standard deviation over every sample', () => {
    expect(baselineStats(Uint16Array.from([8000, 8002, 8004, 8002]))).toEqual({ meanAdc: 8002, stdAdc: Math.sqrt(2), samples: 4 });
    const g = baselineStats(gauss(50_000, 8017.3, 2.4));
    expect(g.meanAdc).toBeCloseTo(8017.3, 1);
    expect(g.stdAdc).toBeCloseTo(2.4, 1);
  });
  it('refuses no samples', () => {
    expect(() => baselineStats(new Uint16Array(0))).toThrow(/no samples/);
  });
});

describe('flasher LED verdict', () => {
  const spe = 1.602;
  const dark = chargeStats(gauss(500, 0, 0.1, 7), spe);
  /** an LED giving `slope` PE per 1024 bias steps above `threshold` */
  const led = (slope: number, threshold = 0x4800, seed = 3) =>
    FLASHER_BIASES.map((b, i) => {
      const pe = (slope * Math.max(0, b - threshold)) / 1024;
      return chargeStats(gauss(500, pe * spe, Math.sqrt(Math.max(pe, 0.01)) * spe * 0.5, seed + i), spe);
    });

  it('a lit LED rising with bias works, and its slope is the light per 1024 bias steps', () => {
    const v = judgeLed(3, FLASHER_BIASES, led(2.5), dark);
    expect(v.works).toBe(true);
    expect(v.mask).toBe(0x0004);
    expect(v.slopePePerKiloBias).toBeCloseTo(2.5, 1);
    expect(v.lightPe[9]).toBeCloseTo((2.5 * (FLASHER_BIASES[9] - 0x4800)) / 1024, 0);
    expect(v.reason).toMatch(/PE above dark at bias 0x7400, rising/);
  });

  it('a dark LED (only the pedestal) does not work: no light', () => {
    const flat = FLASHER_BIASES.map((_, i) => chargeStats(gauss(500, 0, 0.1 * spe, 40 + i), spe));
    const v = judgeLed(4, FLASHER_BIASES, flat, dark);
    expect(v.works).toBe(false);
    expect(v.reason).toMatch(/^no light/);
  });

  it('light that does not grow with the bias is not a working LED', () => {
    const stuck = FLASHER_BIASES.map((_, i) => chargeStats(gauss(500, 20 * spe, 0.5 * spe, 60 + i), spe));
    const v = judgeLed(5, FLASHER_BIASES, stuck, dark);
    expect(v.works).toBe(false);
    expect(v.reason).toMatch(/does not rise with bias/);
  });

  it('masks are bits 0x0001..0x0800', () => {
    expect([1, 12].map(ledMask)).toEqual([0x0001, 0x0800]);
    expect(FLASHER_BIASES).toHaveLength(10);
    expect(FLASHER_BIASES[0]).toBe(0x5000);
    expect(FLASHER_BIASES[9]).toBe(29696);
  });
});

describe('STF items', () => {
  it('supplies: a rail off nominal or over its current limit is named', () => {
    const ok = supplyItems([450, 190, 150, 220, 120], [1.1, 1.35, 1.8, 2.5, 3.3]);
    expect(ok.map((i) => i.status)).toEqual(['pass', 'pass']);
    const [v, i] = supplyItems([450, 190, 150, 220, 350], [1.1, 1.35, 1.6, 2.5, 3.3]);
    expect(v).toMatchObject({ item: 'supply_voltages', status: 'fail' });
    expect(v.reading).toMatch(/^out of range: 1V8 /);
    expect(i).toMatchObject({ item: 'supply_currents', status: 'fail' });
    expect(i.reading).toMatch(/^over limit: 3V3 /);
  });

  it('HV: readback within max(15 V, 1%) of the set point', () => {
    expect(hvItem(0, 1500, [1499, 1501, 1500]).status).toBe('pass');
    expect(hvItem(1, 1500, [1480, 1481]).status).toBe('fail');
    expect(hvItem(1, 1500, [0.2, 0.1])).toMatchObject({ item: 'hv_ch1', status: 'fail', reading: 'readback 0.2 V at set point 1500 V' });
    expect(hvItem(0, 1000, [988]).status).toBe('pass');
  });

  it('temperature: judged against the freezer air, or an absolute range without it', () => {
    expect(temperatureItem(-36, -40).status).toBe('pass');
    expect(temperatureItem(20, -40).status).toBe('fail');
    expect(temperatureItem(20, null)).toMatchObject({ status: 'pass', limit: '-60 to 45 °C' });
  });

  it('communication: a wrong FPGA version or a silent identity word fails', () => {
    const base = {
      boardType: 113,
      fpgaVersion: 272,
      expectedFpga: 272,
      softwareVersion: 62,
      expectedSoftware: 62,
      ids: { ICM: 'ab' },
      missing: [],
    };
    expect(communicationItem(base).status).toBe('pass');
    expect(communicationItem({ ...base, fpgaVersion: 65535 }).reading).toMatch(/FPGA version 65535, expected 272/);
    expect(communicationItem({ ...base, missing: ['flashID'] }).reading).toMatch(/no answer to flashID/);
  });

  it('dark rate: a PMT with HV counts at least 100 Hz', () => {
    expect(darkRateItem(0, 2400).status).toBe('pass');
    expect(darkRateItem(1, 40).status).toBe('fail');
  });

  it('summary: counts and the failing items by module', () => {
    const pass = hvItem(0, 1500, [1500]);
    const fail = hvItem(1, 1500, [0]);
    const s = summariseStf([
      { port: 5001, serial: 'B', items: [pass, fail] },
      { port: 5000, serial: 'A', items: [pass, { item: 'dark_rate_ch1', status: 'skipped', reading: '', value: null, limit: '' }] },
    ]);
    expect(s).toMatchObject({ modules: 2, passed: 1, failed: 1, items: { pass: 2, fail: 1, skipped: 1 } });
    expect(s.failing).toEqual([{ port: 5001, serial: 'B', items: [{ item: 'hv_ch1', reading: fail.reading, limit: fail.limit }] }]);
  });
});

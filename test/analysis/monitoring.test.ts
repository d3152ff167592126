import { describe, expect, it } from 'vitest';
import { analyseDeltaT } from '../../src/analysis/delta-t.js';
import { currentCheck, darkRateSummary, hvCheck } from '../../src/analysis/monitoring.js';

describe('online monitoring checks', () => {
  it('HV value and stability against the set point (150 V, 2%)', () => {
    expect(hvCheck([1400, 1401, 1399], 1400)).toMatchObject({ valOk: true, stdOk: true });
    const sag = hvCheck([1240, 1241, 1239], 1400);
    expect(sag.valOk).toBe(false);
    expect(sag.deviationV).toBeCloseTo(160, 6);
    expect(hvCheck([1400, 1300, 1500], 1400).stdOk).toBe(false);
    expect(hvCheck([0, 0, 0], 1400)).toMatchObject({ valOk: false, stdOk: false });
  });

  it('supply currents against the limits, and the power', () => {
    const read = new Float64Array(16);
    read.set([500, 200, 150, 200, 120], 0);
    read[12] = 1.1;
    read[13] = 1.35;
    read[5] = 1.8;
    read[14] = 2.5;
    read[15] = 3.3;
    const over = Float64Array.from(read);
    over[4] = 310;
    const c = currentCheck([read, over]);
    expect(c.checks).toBe(10);
    expect(c.fails).toEqual([{ rail: '3.3 V', valueMa: 310, maxMa: 300 }]);
    expect(c.powerW[0]).toBeCloseTo((500 * 1.1 + 200 * 1.35 + 150 * 1.8 + 200 * 2.5 + 120 * 3.3) / 1000, 9);
  });

  it('dark rates above 2600 Hz are counted', () => {
    expect(darkRateSummary([1000, 3000, 2700, 2000])).toMatchObject({ n: 4, nAbove: 2, meanHz: 2175 });
  });
});

describe('Δt analysis', () => {
  /** Poisson arrivals at `rateHz` with `tauTicks` dead time, plus afterpulses after a fraction of them */
  function arrivals(n: number, rateHz: number, tauTicks: number, afterFraction: number): Float64Array {
    // mulberry32
    let seed = 12345;
    const u = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return (((x ^ (x >>> 14)) >>> 0) + 0.5) / 4294967296;
    };
    const out: number[] = [];
    let t = 0;
    while (out.length < n) {
      t += tauTicks - Math.log(u()) * (240e6 / rateHz);
      out.push(t);
      if (u() < afterFraction && out.length < n) out.push(t + 240 * (1 + 3 * u()));
    }
    return Float64Array.from(out).sort();
  }

  it('measures the rate, and finds no correlated excess in Poisson arrivals', () => {
    const a = analyseDeltaT(arrivals(20000, 2000, 32, 0));
    expect(Math.abs(a.rateHz / 2000 - 1)).toBeLessThan(0.03);
    expect(a.poissonShortFraction).toBeCloseTo(1 - Math.exp(-a.rateHz * (10e-6 - a.minDtS)), 3);
    expect(a.correlatedFraction).toBeLessThan(0.004);
  });

  it('finds afterpulses 1-4 µs after 5% of the pulses', () => {
    const a = analyseDeltaT(arrivals(20000, 2000, 32, 0.05));
    expect(a.correlatedFraction).toBeGreaterThan(0.035);
    expect(a.correlatedFraction).toBeLessThan(0.065);
  });

  it('refuses timestamps that do not increase', () => {
    expect(() => analyseDeltaT([0, 10, 10])).toThrow(/trigger 2 is at or before trigger 1/);
  });
});

describe('Δt across read-out blocks', () => {
  it('skips the gap before each block', () => {
    // two blocks of 1 kHz triggers, 10 s apart
    const t = [0, 1, 2, 3, 10_000, 10_001, 10_002].map((ms) => ms * 240e3);
    const a = analyseDeltaT(t, 10e-6, 240e6, [4]);
    expect(a.dtS.length).toBe(5);
    expect(a.rateHz).toBeCloseTo(1000, 6);
  });
});

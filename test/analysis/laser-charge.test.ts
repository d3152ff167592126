import { describe, expect, it } from 'vitest';
import { gateBlock, laserCharge } from '../../src/analysis/laser-charge.js';
import { analyseLinearity, LINEARITY_FILTER_PAIRS } from '../../src/analysis/linearity.js';
import { Rng } from '../../src/sim/rng.js';

const PERIOD = 2.4e6; // 100 Hz in 240 MHz ticks

/**
 * Threshold triggers of a weak laser among dark pulses: each shot gives Poisson(mu) PE, and
 * triggers only with at least one; dark pulses of 1 PE come at `darkHz`.
 */
function triggers(rng: Rng, shots: number, mu: number, darkHz: number) {
  const ev: Array<[number, number]> = [];
  for (let k = 0; k < shots; k++) {
    const n = rng.poisson(mu);
    if (n > 0) ev.push([1000 + k * PERIOD + rng.normal(0, 0.4), 1.602 * n]);
  }
  const end = 1000 + (shots - 1) * PERIOD;
  for (let t = rng.exponential(darkHz / 240e6); t < end; t += rng.exponential(darkHz / 240e6)) ev.push([t, 1.602]);
  ev.sort((a, b) => a[0] - b[0]);
  return { ts: Float64Array.from(ev, (e) => e[0]), q: Float64Array.from(ev, (e) => e[1]) };
}

describe('laser charge per shot', () => {
  it('gates a block on the fitted shot times: dark pulses near the block ends are not the laser', () => {
    // a short block (the lowest settings): 4 shots among 200 dark pulses, the generator 20 ppm slow
    const rng = new Rng(9);
    const p = PERIOD * (1 + 20e-6);
    const ts: number[] = [];
    for (let k = 1; k <= 4; k++) ts.push(k * p + rng.normal(0, 0.5));
    for (let i = 0; i < 200; i++) ts.push(rng.uniform(0.05 * p, 4.95 * p));
    ts.sort((a, b) => a - b);
    const g = gateBlock(Float64Array.from(ts), 100);
    expect(g.shots).toBe(4);
    expect(g.mask.reduce((a, b) => a + b, 0)).toBe(4);
    expect(gateBlock(new Float64Array(0), 100).shots).toBe(0);
  });

  it('takes the mean over shots, not triggers: a 2-PE laser among 3 kHz of dark pulses', () => {
    const rng = new Rng(1);
    const { ts, q } = triggers(rng, 3000, 2, 3000);
    const r = laserCharge(ts, q, 100);
    // e^-2 of the shots give nothing: the mean over triggers would say 2 / (1 - e^-2) = 2.31 PE
    expect(r.meanChargeLockedPc / 1.602).toBeGreaterThan(2.2);
    expect(Math.abs(r.meanPe - 2)).toBeLessThan(0.06);
    expect(r.laserShots).toBe(3000);
    expect(r.laserEvents).toBeGreaterThan(0.85 * 3000 * (1 - Math.exp(-2)));
    expect(r.triggers).toBeGreaterThan(10 * r.laserEvents);
  });

  it('counts shots per block: the time between reads is not covered', () => {
    const rng = new Rng(2);
    const a = triggers(rng, 500, 30, 500);
    const ts = Float64Array.from([...a.ts, ...Array.from(a.ts, (t) => t + 1e10)]);
    const q = Float64Array.from([...a.q, ...a.q]);
    const r = laserCharge(ts, q, 100, [0, a.ts.length]);
    expect(r.laserShots).toBe(1000);
    expect(r.meanPe).toBeCloseTo(30, 0);
  });

  it('calibrates the expected PE from several low settings', () => {
    const t = LINEARITY_FILTER_PAIRS.map(([a, b]) => a * b);
    const sat = (n: number) => n / (1 + n / 1000);
    const observed = t.map((x) => sat(400 * x));
    const r = analyseLinearity(t, observed, { calibrationIndices: [0, 1, 2] });
    const perUnit = (sat(4) + sat(10) + sat(20)) / 0.085;
    expect(r.points[9].expectedPe).toBeCloseTo(perUnit, 9);
    expect(r.ratioAtPe).toBeGreaterThan(0.8);
    expect(r.ratioAtPe).toBeLessThan(sat(200) / 200 + 0.02);
    expect(() => analyseLinearity(t, observed, { calibrationIndices: [12] })).toThrow(/calibration index 12/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  fitPowerLaw,
  hvForGain,
  lowRateAction,
  nextScanHv,
  rateTooLow,
  scanStartHv,
  type GainPoint,
  type ScanStep,
} from '../../src/analysis/gain.js';
import { Rng } from '../../src/sim/rng.js';

/** a PMT like the simulator's: k in 6.5..8.5, V(1e7) in 1250..1550 V */
function randomPmt(rng: Rng) {
  const k = rng.uniform(6.5, 8.5);
  const v1e7 = rng.uniform(1250, 1550);
  return { k, v1e7, normA: 1e7 / v1e7 ** k };
}

describe('gain law G = A·V^k', () => {
  it('inverts analytically: V(1e7) = (1e7/A)^(1/k), on the original fit results', () => {
    expect(hvForGain(9.14e-15, 6.67)).toBeGreaterThan(1400);
    expect(hvForGain(9.14e-15, 6.67)).toBeLessThan(1450);
    expect(hvForGain(1.19e-19, 8.33)).toBeCloseTo(1290, -1);
    expect(hvForGain(0, 7)).toBeNaN();
    expect(hvForGain(1e-15, 7, 5e6)).toBeCloseTo((5e6 / 1e-15) ** (1 / 7), 6);
  });

  it('recovers V(1e7) within 1% from noisy points (1% gain noise, 2% systematic in the fit)', () => {
    const rng = new Rng(2024);
    for (let t = 0; t < 50; t++) {
      const pmt = randomPmt(rng);
      const points: GainPoint[] = [];
      for (const dv of [-120, -80, -40, 0, 40, 80]) {
        const hv = pmt.v1e7 + dv;
        const g = pmt.normA * hv ** pmt.k * (1 + rng.normal(0, 0.01));
        points.push({ hvVolts: hv, gain: g, gainError: 0.005 * g });
      }
      const fit = fitPowerLaw(points);
      expect(Math.abs(fit.hvAt1e7Volts / pmt.v1e7 - 1)).toBeLessThan(0.01);
      expect(Math.abs(fit.exponent - pmt.k)).toBeLessThan(5 * fit.exponentError);
      expect(fit.hvAt1e7Volts).toBeCloseTo(hvForGain(fit.normA, fit.exponent), 6);
      expect(fit.hvAt1e7ErrorVolts).toBeGreaterThan(0);
      expect(fit.hvAt1e7ErrorVolts).toBeLessThan(20);
      expect(fit.ndf).toBe(4);
    }
  });

  it('reports the errors a 2% point-to-point scatter implies', () => {
    // exact points: the errors come from the 2% systematic alone
    const pts = [1300, 1400, 1500].map((hv) => ({ hvVolts: hv, gain: 1e-15 * hv ** 7 }));
    const fit = fitPowerLaw(pts);
    expect(fit.exponent).toBeCloseTo(7, 9);
    expect(fit.normA / 1e-15).toBeCloseTo(1, 6);
    expect(fit.chi2).toBeCloseTo(0, 12);
    const lnV = pts.map((p) => Math.log(p.hvVolts));
    const m = lnV.reduce((a, b) => a + b) / 3;
    const sxx = lnV.reduce((a, b) => a + (b - m) ** 2, 0);
    expect(fit.exponentError).toBeCloseTo(0.02 / Math.sqrt(sxx), 9);
  });

  it('cannot fit fewer than two points', () => {
    expect(fitPowerLaw([{ hvVolts: 1500, gain: 1e7 }]).hvAt1e7Volts).toBeNaN();
  });
});

/** the scan loop a task runs, against a PMT with 1% gain noise */
function runScan(pmt: { k: number; normA: number }, rng: Rng, startHv?: number) {
  const points: GainPoint[] = [];
  let step: ScanStep = nextScanHv(points, { startHvVolts: startHv });
  for (let guard = 0; !step.done && guard < 50; guard++) {
    const hv = step.hvVolts;
    const g = pmt.normA * hv ** pmt.k * (1 + rng.normal(0, 0.01));
    points.push({ hvVolts: hv, gain: g, gainError: 0.003 * g });
    step = nextScanHv(points, { startHvVolts: startHv });
  }
  return { points, step };
}

describe('online gain scan', () => {
  it('starts at the stored HV at 1e7, or 1500 V', () => {
    expect(scanStartHv(1420)).toBe(1420);
    expect(scanStartHv(0)).toBe(1500);
    expect(scanStartHv(undefined)).toBe(1500);
    expect(nextScanHv([])).toEqual({ done: false, hvVolts: 1500 });
  });

  it('steps ±40 V towards 1e7 for the first points', () => {
    expect(nextScanHv([{ hvVolts: 1500, gain: 5e6 }])).toEqual({ done: false, hvVolts: 1540 });
    expect(nextScanHv([{ hvVolts: 1500, gain: 2e7 }])).toEqual({ done: false, hvVolts: 1460 });
  });

  it('converges within 10 points to V(1e7) within 1% on simulated PMTs, always inside 1050-1950 V', () => {
    const rng = new Rng(77);
    for (let t = 0; t < 100; t++) {
      const pmt = randomPmt(rng);
      const { points, step } = runScan(pmt, rng, rng.next() < 0.5 ? undefined : pmt.v1e7 + rng.uniform(-150, 150));
      expect(step.done).toBe(true);
      if (!step.done) continue;
      expect(points.length).toBeLessThanOrEqual(10);
      expect(['converged', 'repeated-hv']).toContain(step.reason);
      for (const p of points) {
        expect(p.hvVolts).toBeGreaterThanOrEqual(1050);
        expect(p.hvVolts).toBeLessThanOrEqual(1950);
      }
      expect(Math.abs(step.hvAt1e7Volts / pmt.v1e7 - 1)).toBeLessThan(0.01);
    }
  });

  it('stays inside the HV bounds for a PMT that needs more than 1950 V, and stops', () => {
    const rng = new Rng(3);
    const pmt = { k: 7, normA: 1e7 / 2100 ** 7 };
    const { points, step } = runScan(pmt, rng, 1900);
    expect(step.done).toBe(true);
    expect(points.length).toBeLessThanOrEqual(10);
    expect(Math.max(...points.map((p) => p.hvVolts))).toBeLessThanOrEqual(1950);
    // the law still says where 1e7 would be, for the goalposts to judge
    if (step.done) expect(step.hvAt1e7Volts).toBeGreaterThan(1950);
  });

  it('stops at 10 points at the latest', () => {
    // a gain that never settles: the scan must still end
    const pts: GainPoint[] = Array.from({ length: 10 }, (_, i) => ({ hvVolts: 1300 + 20 * i, gain: i % 2 ? 3e6 : 3e7 }));
    const step = nextScanHv(pts);
    expect(step.done).toBe(true);
  });

  it('measures where the law puts 1e7 once the steps bracket it, and stops when that HV was already measured', () => {
    const law = (hv: number) => 1e-15 * hv ** 7; // 1e7 at 10^(22/7) ≈ 1389.5 V
    const s1 = nextScanHv([1300, 1340, 1380, 1420].map((hv) => ({ hvVolts: hv, gain: law(hv) })));
    expect(s1).toEqual({ done: false, hvVolts: 1389 });
    // bracketed after two points: no third fixed step
    expect(nextScanHv([1360, 1400].map((hv) => ({ hvVolts: hv, gain: law(hv) })))).toEqual({ done: false, hvVolts: 1389 });
    // the prediction lands on a measured HV (4 points: too few to call it converged): stop
    const s2 = nextScanHv([1309, 1349, 1429].map((hv) => ({ hvVolts: hv, gain: law(hv) })).concat([{ hvVolts: 1389, gain: law(1389) }]));
    expect(s2).toMatchObject({ done: true, reason: 'repeated-hv' });
    if (s2.done) expect(s2.hvAt1e7Volts).toBeCloseTo(1389.5, 0);
  });

  it('does not converge on fewer than 5 points even when the gain is right', () => {
    expect(nextScanHv([{ hvVolts: 1500, gain: 1e7 }]).done).toBe(false);
  });
});

describe('trigger-rate check', () => {
  it('calls below 200 Hz too low, raises by 200 V up to 2000 V, and gives up when the same HV fails twice', () => {
    expect(rateTooLow(150)).toBe(true);
    expect(rateTooLow(200)).toBe(false);
    expect(rateTooLow(NaN)).toBe(true);
    expect(lowRateAction(5000, 1500)).toEqual({ action: 'ok' });
    expect(lowRateAction(50, 1500)).toEqual({ action: 'raise', hvVolts: 1700 });
    expect(lowRateAction(50, 1900)).toEqual({ action: 'raise', hvVolts: 2000 });
    const r = lowRateAction(50, 2000, [1900, 2000]);
    expect(r.action).toBe('give-up');
    if (r.action === 'give-up') expect(r.reason).toMatch(/200 Hz.*2000 V/);
  });
});

import { describe, expect, it } from 'vitest';
import { ELEMENTARY_CHARGE_C, fitGaussian, fitSpe } from '../../src/analysis/gaussian-fit.js';
import { histogram } from '../../src/analysis/histogram.js';
import { SPE_CHARGE_PC_AT_1E7 } from '../../src/analysis/visibility.js';
import { Rng } from '../../src/sim/rng.js';

function gaussianCharges(n: number, mu: number, sigma: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal(mu, sigma);
  return out;
}

describe('Gaussian fit by Levenberg-Marquardt', () => {
  it('recovers a 20 000-entry charge histogram (μ 1.0, σ 0.3) with Poisson weights: the dependencies.md check', () => {
    for (const seed of [1, 2, 3]) {
      const q = gaussianCharges(20000, 1.0, 0.3, seed);
      const h = histogram(q, 80, 0, 6);
      const f = fitGaussian(h.centres, h.counts, { weighting: 'poisson', medianX: 1.0 });
      expect(f.converged).toBe(true);
      expect(Math.abs(f.mu - 1.0)).toBeLessThan(0.01);
      expect(Math.abs(f.sigma - 0.3)).toBeLessThan(0.01);
      expect(f.chi2 / f.ndf).toBeGreaterThan(0.4);
      expect(f.chi2 / f.ndf).toBeLessThan(2);
      // the errors are the statistical ones: σ/√N for the mean
      expect(f.errors.mu).toBeGreaterThan(0.5 * (0.3 / Math.sqrt(20000)));
      expect(f.errors.mu).toBeLessThan(2 * (0.3 / Math.sqrt(20000)));
      expect(f.errors.sigma).toBeGreaterThan(0);
      expect(f.errors.a).toBeGreaterThan(0);
    }
  });

  it('gives pulls of the expected size over many histograms (errors are neither too small nor too large)', () => {
    let sumPull2 = 0;
    const n = 40;
    for (let s = 0; s < n; s++) {
      const q = gaussianCharges(5000, 1.6, 0.5, 100 + s);
      const h = histogram(q, 80, 0, 6);
      const f = fitGaussian(h.centres, h.counts, { weighting: 'poisson' });
      sumPull2 += ((f.mu - 1.6) / f.errors.mu) ** 2;
    }
    const rms = Math.sqrt(sumPull2 / n);
    expect(rms).toBeGreaterThan(0.6);
    expect(rms).toBeLessThan(1.5);
  });

  it('fits the exact curve exactly, unweighted', () => {
    const x = Float64Array.from({ length: 60 }, (_, i) => i * 0.1);
    const y = x.map((v) => 250 * Math.exp(-0.5 * ((v - 2.2) / 0.6) ** 2));
    const f = fitGaussian(x, y, { weighting: 'none', initial: { a: 200, mu: 2, sigma: 0.8 } });
    expect(f.converged).toBe(true);
    expect(f.a).toBeCloseTo(250, 3);
    expect(f.mu).toBeCloseTo(2.2, 5);
    expect(f.sigma).toBeCloseTo(0.6, 5);
  });

  it('says it did not converge instead of returning garbage on an empty histogram', () => {
    const x = Float64Array.from({ length: 80 }, (_, i) => i * 0.075);
    const f = fitGaussian(x, new Float64Array(80), { weighting: 'poisson' });
    expect(f.converged).toBe(false);
  });
});

describe('SPE fit (the original per-point gain)', () => {
  it('finds the SPE peak under a pedestal tail and turns it into gain = peak / e', () => {
    const rng = new Rng(5);
    const q = new Float64Array(10000);
    for (let i = 0; i < q.length; i++) q[i] = rng.next() < 0.08 ? rng.exponential(1 / 0.25) : rng.normal(SPE_CHARGE_PC_AT_1E7, 0.5);
    const r = fitSpe(q);
    expect(r.fit.converged).toBe(true);
    expect(r.rangePc).toBe(6);
    expect(r.counts.length).toBe(80);
    expect(Math.abs(r.peakPc / SPE_CHARGE_PC_AT_1E7 - 1)).toBeLessThan(0.03);
    expect(r.gain).toBeCloseTo((r.peakPc * 1e-12) / ELEMENTARY_CHARGE_C, 0);
    expect(Math.abs(r.gain / 1e7 - 1)).toBeLessThan(0.03);
    expect(r.gainError).toBeGreaterThan(0);
  });

  it("stops where scipy's curve_fit stops: the original method's (a, μ, σ) within 1e-8, in each range (a fit that merely reaches the same minimum misses by more)", () => {
    // charges: 10% pedestal tail, the rest a Gaussian peak; the expected values are what
    // spe_fit_reference.py's fit_one (numpy 2.4, scipy 1.17) gives for the same charges
    const cases = [
      { seed: 31, peak: 1.6, n: 10000, hi: 6, scipy: [547.8991361330009, 1.5745898177521482, 0.5110447844899397] },
      { seed: 32, peak: 3.2, n: 5000, hi: 10, scipy: [229.18708334952586, 3.1716601539181024, 1.0149159539898862] },
      { seed: 33, peak: 5.5, n: 20001, hi: 14, scipy: [743.5619393091209, 5.427755579961625, 1.7584721709844437] },
    ];
    for (const c of cases) {
      const rng = new Rng(c.seed);
      const q = new Float64Array(c.n);
      for (let i = 0; i < c.n; i++) q[i] = rng.next() < 0.1 ? rng.exponential(1 / (0.15 * c.peak)) : rng.normal(c.peak, 0.3 * c.peak);
      const r = fitSpe(q);
      expect(r.rangePc).toBe(c.hi);
      expect(r.fit.converged).toBe(true);
      const [a, mu, sigma] = c.scipy;
      expect(Math.abs(r.fit.a / a - 1)).toBeLessThan(1e-8);
      expect(Math.abs(r.fit.mu / mu - 1)).toBeLessThan(1e-8);
      expect(Math.abs(r.fit.sigma / sigma - 1)).toBeLessThan(1e-8);
    }
  });

  it('widens the histogram for high gains (median above 2.5 pC, and from 4 pC)', () => {
    expect(fitSpe(gaussianCharges(10000, 3.2, 0.9, 8)).rangePc).toBe(10);
    const high = fitSpe(gaussianCharges(10000, 5, 1.4, 9));
    expect(high.rangePc).toBe(14);
    expect(Math.abs(high.peakPc - 5)).toBeLessThan(0.1);
  });
});

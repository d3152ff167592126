/**
 * Gaussian fits to charge histograms (the original's SPE fit) by Levenberg-Marquardt, and the
 * gain that follows from the fitted peak.
 *
 * ml-levenberg-marquardt 4.1.3 weighs its step and its error measure inconsistently (the step
 * with 1/w², the error with w²), so weights are not passed to it: the residuals are whitened
 * instead (data and model both divided by each bin's σ), which makes its plain least squares
 * exactly the weighted χ². It returns no covariance; that comes from (JᵀWJ)⁻¹ with the analytic
 * Jacobian at the solution.
 */
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { Matrix, inverse } from 'ml-matrix';
import { SPE_BINS, histogram, median, speRangePc } from './histogram.js';

export interface GaussianParams {
  a: number;
  mu: number;
  sigma: number;
}

export interface GaussianFit extends GaussianParams {
  /** 1σ parameter errors from the covariance; NaN when it could not be computed */
  errors: GaussianParams;
  /** Σ (N − f)² / N over the non-empty bins (Neyman's χ², whatever the weighting) */
  chi2: number;
  /** non-empty bins − 3 */
  ndf: number;
  converged: boolean;
  iterations: number;
}

export interface GaussianFitOptions {
  /**
   * 'poisson': each bin weighted by 1/max(N, 1) (Neyman χ², sensible when the peak bins hold
   * tens of entries or more); 'none': plain least squares as the original's curve_fit, with the
   * errors scaled by the residual variance as curve_fit does.
   */
  weighting?: 'poisson' | 'none';
  /** start values; default the original's: highest bin, the supplied `medianX`, 0.35 × that */
  initial?: GaussianParams;
  medianX?: number;
  /** LM iterations at most (default 60) */
  maxIterations?: number;
}

const gauss = (x: number, a: number, mu: number, s: number) => {
  const z = (x - mu) / s;
  return a * Math.exp(-0.5 * z * z);
};

/**
 * LM runs in short rounds: the library stops only on an absolute error, so convergence is judged
 * between rounds. With a pedestal tail under the peak the residuals stay large and Gauss-Newton
 * converges only linearly; the tolerances stop it far below the statistical errors (like
 * MINPACK's ftol/xtol behind scipy's curve_fit).
 */
const FIRST_ROUND = 3;
const ROUND_ITERATIONS = 2;
const PARAM_REL_TOL = 1e-4;
const COST_REL_TOL = 1e-10;

/** Fit a·exp(−(x−μ)²/(2σ²)) to (x, y), e.g. bin centres and counts. */
export function fitGaussian(xAll: Float64Array, yAll: Float64Array, opts: GaussianFitOptions = {}): GaussianFit {
  if (yAll.length !== xAll.length) throw new Error(`fitGaussian: ${xAll.length} x values but ${yAll.length} y values`);
  const weighting = opts.weighting ?? 'poisson';
  // an empty bin has no Poisson σ to weigh it by: a χ² fit leaves it out (as ROOT does)
  let x = xAll;
  let y = yAll;
  if (weighting === 'poisson') {
    let m = 0;
    for (let i = 0; i < yAll.length; i++) if (yAll[i] > 0) m++;
    if (m < yAll.length) {
      x = new Float64Array(m);
      y = new Float64Array(m);
      for (let i = 0, j = 0; i < yAll.length; i++)
        if (yAll[i] > 0) {
          x[j] = xAll[i];
          y[j++] = yAll[i];
        }
    }
  }
  const n = x.length;
  const sd = new Float64Array(n);
  for (let i = 0; i < n; i++) sd[i] = weighting === 'poisson' ? Math.sqrt(y[i]) : 1;

  let p0 = opts.initial;
  if (!p0) {
    let ymax = -Infinity;
    for (let i = 0; i < n; i++) if (y[i] > ymax) ymax = y[i];
    const m = opts.medianX ?? weightedMedianX(x, y);
    p0 = { a: ymax, mu: m, sigma: 0.35 * m };
  }
  const maxIterations = opts.maxIterations ?? 60;
  let nonEmpty = 0;
  for (let i = 0; i < n; i++) if (y[i] > 0) nonEmpty++;
  const ndf = nonEmpty - 3;
  const fail = (p: GaussianParams, iterations: number): GaussianFit => ({
    ...p,
    errors: { a: NaN, mu: NaN, sigma: NaN },
    chi2: NaN,
    ndf,
    converged: false,
    iterations,
  });
  if (n < 4 || !(p0.sigma !== 0) || !Number.isFinite(p0.a + p0.mu + p0.sigma)) return fail(p0, 0);

  // whitened problem: "x" is the bin index, "y" the count over its σ
  const idx = new Float64Array(n);
  const yw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    idx[i] = i;
    yw[i] = y[i] / sd[i];
  }
  const model = (p: number[]) => {
    const a = p[0];
    const mu = p[1];
    const s = p[2];
    return (i: number) => gauss(x[i], a, mu, s) / sd[i];
  };
  const span = Math.abs(x[n - 1] - x[0]) || 1;

  let p = [p0.a, p0.mu, p0.sigma];
  let iterations = 0;
  let settled = false;
  let prevErr = Infinity;
  while (iterations < maxIterations) {
    const round = Math.min(iterations === 0 ? FIRST_ROUND : ROUND_ITERATIONS, maxIterations - iterations);
    const r = levenbergMarquardt({ x: idx, y: yw }, model, {
      initialValues: p.slice(),
      maxIterations: round,
      // forward differences with a tiny step are accurate enough, and half the model evaluations
      centralDifference: false,
      gradientDifference: [1e-6 * Math.max(Math.abs(p[0]), 1), 1e-6 * span, 1e-6 * Math.max(Math.abs(p[2]), 1e-3 * span)],
      damping: 1e-3,
      errorTolerance: 0,
    });
    iterations += round;
    const q = r.parameterValues;
    let change = 0;
    for (let k = 0; k < 3; k++) change = Math.max(change, Math.abs(q[k] - p[k]) / Math.max(Math.abs(q[k]), 1e-12));
    p = q;
    const errChange = Math.abs(prevErr - r.parameterError) / Math.max(r.parameterError, 1e-12);
    prevErr = r.parameterError;
    if (!Number.isFinite(q[0] + q[1] + q[2])) break;
    if (change < PARAM_REL_TOL || errChange < COST_REL_TOL) {
      settled = true;
      break;
    }
  }
  const a = p[0];
  const mu = p[1];
  const sigma = Math.abs(p[2]);
  if (!Number.isFinite(a + mu + sigma) || sigma === 0) return fail({ a, mu, sigma }, iterations);

  // χ² and the covariance at the solution, with the analytic Jacobian
  let chi2 = 0;
  let rss = 0;
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  for (let i = 0; i < n; i++) {
    const z = (x[i] - mu) / sigma;
    const e = Math.exp(-0.5 * z * z);
    const f = a * e;
    const res = y[i] - f;
    if (y[i] > 0) chi2 += (res * res) / y[i];
    const w = 1 / (sd[i] * sd[i]);
    rss += res * res * w;
    // ∂f/∂a, ∂f/∂μ, ∂f/∂σ
    const j0 = e;
    const j1 = (f * z) / sigma;
    const j2 = (f * z * z) / sigma;
    s00 += w * j0 * j0;
    s01 += w * j0 * j1;
    s02 += w * j0 * j2;
    s11 += w * j1 * j1;
    s12 += w * j1 * j2;
    s22 += w * j2 * j2;
  }
  const jtwj = new Matrix([
    [s00, s01, s02],
    [s01, s11, s12],
    [s02, s12, s22],
  ]);
  let errors: GaussianParams = { a: NaN, mu: NaN, sigma: NaN };
  let covOk = false;
  try {
    const cov = inverse(jtwj);
    // curve_fit without σ scales the covariance by the residual variance over all fitted bins
    const scale = weighting === 'none' ? rss / Math.max(n - 3, 1) : 1;
    const d = [cov.get(0, 0), cov.get(1, 1), cov.get(2, 2)].map((v) => Math.sqrt(v * scale));
    covOk = d.every((v) => Number.isFinite(v) && v > 0);
    if (covOk) errors = { a: d[0], mu: d[1], sigma: d[2] };
  } catch {
    // a singular JᵀWJ: the parameters are not determined by these bins
  }
  return { a, mu, sigma, errors, chi2, ndf, converged: settled && covOk, iterations };
}

/** median of the x values weighted by y, when the raw samples are not at hand */
function weightedMedianX(x: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) total += Math.max(0, y[i]);
  let acc = 0;
  for (let i = 0; i < y.length; i++) {
    acc += Math.max(0, y[i]);
    if (acc >= total / 2) return x[i];
  }
  return x[x.length >> 1];
}

// ---------------------------------------------------------------- SPE

/** elementary charge in C; gain = SPE charge / e */
export const ELEMENTARY_CHARGE_C = 1.602176634e-19;

export interface SpeFit {
  fit: GaussianFit;
  /** fitted SPE peak in pC (= fit.mu) */
  peakPc: number;
  peakErrorPc: number;
  sigmaPc: number;
  gain: number;
  gainError: number;
  medianPc: number;
  rangePc: number;
  entries: number;
  counts: Float64Array;
  centresPc: Float64Array;
}

/**
 * The original's per-point SPE fit: median, 80-bin histogram over the range it implies, Gaussian
 * from (highest bin, median, 0.35·median), gain = peak charge / e.
 * Unweighted by default, as the original's curve_fit: with the pedestal tail under the peak,
 * Poisson (Neyman) weights pull the peak low by a few percent more than plain least squares do,
 * and the unweighted fit reproduces the original's numbers (bench/spe-fit.ts: within 1e-5).
 * `scratch` (length ≥ charges) spares the median's copy when called in a loop.
 */
export function fitSpe(chargesPc: Float64Array, opts: Omit<GaussianFitOptions, 'medianX'> & { scratch?: Float64Array } = {}): SpeFit {
  const med = median(chargesPc, opts.scratch);
  const hi = speRangePc(med);
  const h = histogram(chargesPc, SPE_BINS, 0, hi);
  const fit = fitGaussian(h.centres, h.counts, { weighting: 'none', ...opts, medianX: med });
  const toGain = 1e-12 / ELEMENTARY_CHARGE_C;
  return {
    fit,
    peakPc: fit.mu,
    peakErrorPc: fit.errors.mu,
    sigmaPc: fit.sigma,
    gain: fit.mu * toGain,
    gainError: fit.errors.mu * toGain,
    medianPc: med,
    rangePc: hi,
    entries: chargesPc.length,
    counts: h.counts,
    centresPc: h.centres,
  };
}

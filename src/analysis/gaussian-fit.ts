/**
 * Gaussian fits to charge histograms (the original's SPE fit) by Levenberg-Marquardt, and the
 * gain that follows from the fitted peak.
 *
 * Three parameters and an analytic Jacobian: MINPACK's lmder (lmder.ts) on typed arrays, with
 * scipy's defaults (ftol = xtol = √ε, gtol = 0, curve_fit's budget of evaluations). It takes the
 * steps scipy's `curve_fit` takes and stops where it stops, so the fitted values agree with the
 * original's to ~1e-8 (bench/spe-fit.ts compares them fit by fit), many times faster than a
 * general fitter (ml-levenberg-marquardt stays the choice for a general model).
 * The covariance is (JᵀWJ)⁻¹ at the solution.
 */
import { speHistogram } from './spe-histogram.js';
import { type Bins, GaussianResiduals } from './gaussian-residuals.js';
import { lmder } from './lmder.js';

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
  /**
   * function evaluations at most, a Jacobian counting as three (default 800: curve_fit's budget
   * for its finite-difference MINPACK, 200·(n+1))
   */
  maxEvaluations?: number;
}

/**
 * The diagonal of the inverse of the symmetric 3×3 matrix with upper triangle (a b c / d e / f),
 * or null when it is singular.
 */
function inverse3(a: number, b: number, c: number, d: number, e: number, f: number): GaussianParams | null {
  const c00 = d * f - e * e;
  const c01 = c * e - b * f;
  const c02 = b * e - c * d;
  const det = a * c00 + b * c01 + c * c02;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-300) return null;
  return { a: c00 / det, mu: (a * f - c * c) / det, sigma: (a * d - b * b) / det };
}

/**
 * The bins a fit uses: all of them unweighted; with Poisson weights the non-empty ones (an empty
 * bin has no σ to weigh it by, so a χ² fit leaves it out, as ROOT does).
 */
function binsOf(x: Float64Array, y: Float64Array, weighting: 'poisson' | 'none'): Bins {
  if (weighting === 'none') return { x, y, sw: null };
  let m = 0;
  for (let i = 0; i < y.length; i++) if (y[i] > 0) m++;
  const b = { x: new Float64Array(m), y: new Float64Array(m), sw: new Float64Array(m) };
  for (let i = 0, j = 0; i < y.length; i++)
    if (y[i] > 0) {
      b.x[j] = x[i];
      b.y[j] = y[i];
      b.sw[j++] = 1 / Math.sqrt(y[i]);
    }
  return b;
}

/** Fit a·exp(−(x−μ)²/(2σ²)) to (x, y), e.g. bin centres and counts. */
export function fitGaussian(xAll: Float64Array, yAll: Float64Array, opts: GaussianFitOptions = {}): GaussianFit {
  if (yAll.length !== xAll.length) throw new Error(`fitGaussian: ${xAll.length} x values but ${yAll.length} y values`);
  const weighting = opts.weighting ?? 'poisson';
  const b = binsOf(xAll, yAll, weighting);
  const n = b.x.length;
  let p0 = opts.initial;
  if (!p0) {
    let ymax = -Infinity;
    for (let i = 0; i < n; i++) if (b.y[i] > ymax) ymax = b.y[i];
    const m = opts.medianX ?? weightedMedianX(b.x, b.y);
    p0 = { a: ymax, mu: m, sigma: 0.35 * m };
  }
  let nonEmpty = 0;
  for (let i = 0; i < n; i++) if (b.y[i] > 0) nonEmpty++;
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

  const p = Float64Array.of(p0.a, p0.mu, p0.sigma);
  const model = new GaussianResiduals(b);
  const lm = lmder(model, p, { maxfev: opts.maxEvaluations ?? 800, jacobianCost: 3 });
  // curve_fit gives up on MINPACK's info 5-8 (evaluations used up, tolerances out of reach)
  const converged = lm.info >= 1 && lm.info <= 4;
  const iterations = lm.njev;
  const [a, mu] = p;
  const sigma = Math.abs(p[2]);
  if (!Number.isFinite(a + mu + sigma) || sigma === 0) return fail({ a, mu, sigma }, iterations);
  const { errors, chi2 } = errorsAt(model, b, p, lm.fvec, lm.fnorm);
  // a curve met exactly has errors of 0 (curve_fit's covariance scaled by a residual variance of 0)
  const covOk = Number.isFinite(errors.a + errors.mu + errors.sigma) && errors.a >= 0 && errors.mu >= 0 && errors.sigma >= 0;
  return { a, mu, sigma, errors, chi2, ndf, converged: converged && covOk, iterations };
}

const jtj = new Float64Array(9);
const jtf = new Float64Array(3);

/**
 * Neyman's χ² and the parameter errors from (JᵀWJ)⁻¹ at the solution `p`, where the residuals
 * √w·(f − y) are `fvec` with norm `fnorm`.
 */
function errorsAt(
  model: GaussianResiduals,
  b: Bins,
  p: Float64Array,
  fvec: Float64Array,
  fnorm: number,
): { errors: GaussianParams; chi2: number } {
  let chi2 = 0;
  // weighted, the residuals are (f − y)/√y already
  if (b.sw) chi2 = fnorm * fnorm;
  else for (let i = 0; i < b.y.length; i++) if (b.y[i] > 0) chi2 += (fvec[i] * fvec[i]) / b.y[i];
  model.normalEquations(p, fvec, jtj, jtf);
  const cov = inverse3(jtj[0], jtj[1], jtj[2], jtj[4], jtj[5], jtj[8]);
  if (!cov) return { errors: { a: NaN, mu: NaN, sigma: NaN }, chi2 }; // the bins do not determine the parameters
  // curve_fit without σ scales the covariance by the residual variance over all fitted bins
  const scale = b.sw ? 1 : (fnorm * fnorm) / Math.max(b.x.length - 3, 1);
  return { errors: { a: Math.sqrt(cov.a * scale), mu: Math.sqrt(cov.mu * scale), sigma: Math.sqrt(cov.sigma * scale) }, chi2 };
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
 * Median and histogram come from one pass over the charges (spe-histogram.ts);
 * `scratch` (length ≥ charges) spares an allocation when called in a loop.
 */
export function fitSpe(chargesPc: Float64Array, opts: Omit<GaussianFitOptions, 'medianX'> & { scratch?: Float64Array } = {}): SpeFit {
  const h = speHistogram(chargesPc, opts.scratch);
  const med = h.median;
  const hi = h.hi;
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

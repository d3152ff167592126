/**
 * Gaussian fits to charge histograms (the original's SPE fit) by Levenberg-Marquardt, and the
 * gain that follows from the fitted peak.
 *
 * Three parameters and an analytic Jacobian: a dedicated Levenberg-Marquardt on typed arrays
 * (Marquardt's scaling of the damping, MINPACK's convergence tests with scipy's default
 * tolerances) solves the 3×3 normal equations directly. It reaches the same minimum as the
 * original's scipy `curve_fit` (bench/spe-fit.ts compares them fit by fit) many times faster than
 * a general fitter (ml-levenberg-marquardt, used before, would be the choice for a general model).
 * The covariance is (JᵀWJ)⁻¹ at the solution.
 */
import { speHistogram } from './spe-histogram.js';
import { type LeastSquaresProblem, lmder } from './lmder.js';

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

/** The bins fitted and their weights (1/σ²). */
interface Bins {
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
}

/**
 * The residuals √w·(f − y) of a·exp(−½((x−μ)/σ)²) as curve_fit forms them, and their analytic
 * Jacobian, which reuses the exponentials of the latest residuals when it is asked at their point.
 */
class GaussianResiduals implements LeastSquaresProblem {
  readonly n = 3;
  readonly m: number;
  private readonly sw: Float64Array | null;
  private readonly e: Float64Array;
  private ea = NaN;
  private emu = NaN;
  private es = NaN;

  constructor(
    private readonly b: Bins,
    weighted: boolean,
  ) {
    this.m = b.x.length;
    this.sw = weighted ? b.w.map(Math.sqrt) : null;
    this.e = new Float64Array(this.m);
  }

  residuals(p: Float64Array, fvec: Float64Array): void {
    const { x, y } = this.b;
    const { e, sw } = this;
    const a = p[0];
    const mu = p[1];
    const s = p[2];
    for (let i = 0; i < x.length; i++) {
      const z = (x[i] - mu) / s;
      const ei = Math.exp(-0.5 * (z * z));
      e[i] = ei;
      const r = a * ei - y[i];
      fvec[i] = sw === null ? r : sw[i] * r;
    }
    this.ea = a;
    this.emu = mu;
    this.es = s;
  }

  normalEquations(p: Float64Array, fvec: Float64Array, jtj: Float64Array, jtf: Float64Array): void {
    const { x } = this.b;
    const { e, sw, m } = this;
    const a = p[0];
    const mu = p[1];
    const s = p[2];
    const cached = a === this.ea && mu === this.emu && s === this.es;
    let s00 = 0;
    let s01 = 0;
    let s02 = 0;
    let s11 = 0;
    let s12 = 0;
    let s22 = 0;
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < m; i++) {
      const z = (x[i] - mu) / s;
      const ei = cached ? e[i] : Math.exp(-0.5 * (z * z));
      // ∂f/∂a, ∂f/∂μ, ∂f/∂σ
      const j0 = sw === null ? ei : sw[i] * ei;
      const j1 = (j0 * a * z) / s;
      const j2 = j1 * z;
      const f = fvec[i];
      s00 += j0 * j0;
      s01 += j0 * j1;
      s02 += j0 * j2;
      s11 += j1 * j1;
      s12 += j1 * j2;
      s22 += j2 * j2;
      g0 += j0 * f;
      g1 += j1 * f;
      g2 += j2 * f;
    }
    jtj[0] = s00;
    jtj[1] = s01;
    jtj[2] = s02;
    jtj[3] = s01;
    jtj[4] = s11;
    jtj[5] = s12;
    jtj[6] = s02;
    jtj[7] = s12;
    jtj[8] = s22;
    jtf[0] = g0;
    jtf[1] = g1;
    jtf[2] = g2;
  }
}

/**
 * Into `jtj` (the upper triangle of JᵀWJ: 00 01 02 11 12 22) the normal equations at (a, μ, σ);
 * returns the weighted sum of squares Σ w (y − f)².
 */
function normalEquations(b: Bins, a: number, mu: number, s: number, jtj: Float64Array): number {
  jtj.fill(0);
  let cost = 0;
  for (let i = 0; i < b.x.length; i++) {
    const z = (b.x[i] - mu) / s;
    const e = Math.exp(-0.5 * z * z);
    const f = a * e;
    const w = b.w[i];
    const r = b.y[i] - f;
    cost += w * r * r;
    const j0 = e;
    const j1 = (f * z) / s;
    const j2 = j1 * z;
    jtj[0] += w * j0 * j0;
    jtj[1] += w * j0 * j1;
    jtj[2] += w * j0 * j2;
    jtj[3] += w * j1 * j1;
    jtj[4] += w * j1 * j2;
    jtj[5] += w * j2 * j2;
  }
  return cost;
}

/** The inverse of a symmetric 3×3 matrix (upper triangle 00 01 02 11 12 22), or null when singular. */
function inverse3(m: ArrayLike<number>): Float64Array | null {
  const [a, b, c, d, e, f] = [m[0], m[1], m[2], m[3], m[4], m[5]];
  const c00 = d * f - e * e;
  const c01 = c * e - b * f;
  const c02 = b * e - c * d;
  const det = a * c00 + b * c01 + c * c02;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-300) return null;
  const k = 1 / det;
  return Float64Array.of(c00 * k, c01 * k, c02 * k, (a * f - c * c) * k, (b * c - a * e) * k, (a * d - b * b) * k);
}

/** The bins a fit uses: an empty bin has no Poisson σ to weigh it by, so a χ² fit leaves it out (as ROOT does). */
function binsOf(x: Float64Array, y: Float64Array, weighting: 'poisson' | 'none'): Bins {
  let m = 0;
  for (let i = 0; i < y.length; i++) if (weighting === 'none' || y[i] > 0) m++;
  const b: Bins = { x: new Float64Array(m), y: new Float64Array(m), w: new Float64Array(m) };
  for (let i = 0, j = 0; i < y.length; i++)
    if (weighting === 'none' || y[i] > 0) {
      b.x[j] = x[i];
      b.y[j] = y[i];
      b.w[j++] = weighting === 'poisson' ? 1 / y[i] : 1;
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
  const lm = lmder(new GaussianResiduals(b, weighting === 'poisson'), p, { maxfev: opts.maxEvaluations ?? 800, jacobianCost: 3 });
  // curve_fit gives up on MINPACK's info 5-8 (evaluations used up, tolerances out of reach)
  const converged = lm.info >= 1 && lm.info <= 4;
  const iterations = lm.njev;
  const [a, mu] = p;
  const sigma = Math.abs(p[2]);
  if (!Number.isFinite(a + mu + sigma) || sigma === 0) return fail({ a, mu, sigma }, iterations);
  const { errors, chi2 } = errorsAt(b, a, mu, sigma, weighting);
  // a curve met exactly has errors of 0 (curve_fit's covariance scaled by a residual variance of 0)
  const covOk = Number.isFinite(errors.a + errors.mu + errors.sigma) && errors.a >= 0 && errors.mu >= 0 && errors.sigma >= 0;
  return { a, mu, sigma, errors, chi2, ndf, converged: converged && covOk, iterations };
}

/** Neyman's χ² and the parameter errors from (JᵀWJ)⁻¹ at the solution. */
function errorsAt(b: Bins, a: number, mu: number, sigma: number, weighting: 'poisson' | 'none'): { errors: GaussianParams; chi2: number } {
  const jtj = new Float64Array(6);
  const rss = normalEquations(b, a, mu, sigma, jtj);
  let chi2 = 0;
  for (let i = 0; i < b.x.length; i++) {
    if (!(b.y[i] > 0)) continue;
    const z = (b.x[i] - mu) / sigma;
    const r = b.y[i] - a * Math.exp(-0.5 * z * z);
    chi2 += (r * r) / b.y[i];
  }
  const cov = inverse3(jtj);
  if (!cov) return { errors: { a: NaN, mu: NaN, sigma: NaN }, chi2 }; // the bins do not determine the parameters
  // curve_fit without σ scales the covariance by the residual variance over all fitted bins
  const scale = weighting === 'none' ? rss / Math.max(b.x.length - 3, 1) : 1;
  const err = (v: number) => Math.sqrt(v * scale);
  return { errors: { a: err(cov[0]), mu: err(cov[3]), sigma: err(cov[5]) }, chi2 };
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

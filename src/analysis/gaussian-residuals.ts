/**
 * The least-squares problem of a Gaussian a·exp(−½((x−μ)/σ)²) through binned data, as scipy's
 * curve_fit poses it: residuals √w·(f − y), parameters (a, μ, σ), with the analytic Jacobian.
 */
import type { LeastSquaresProblem } from './lmder.js';

/** The bins fitted: centres, contents and, for a weighted fit, √weight (= 1/σ) of each. */
export interface Bins {
  x: Float64Array;
  y: Float64Array;
  /** null: all weights 1 */
  sw: Float64Array | null;
}

/** exp(−½z²) of the latest residuals, shared by all fits (one runs at a time), and whose they are */
let cache = new Float64Array(128);
let owner = 0;
let instances = 0;

/**
 * On evenly spaced x (bin centres) the exponentials go by blocks of this many: one exp at the
 * block's start, the rest by the ratio of neighbours, itself a geometric sequence:
 * e(i+1) = e(i)·r(i), r(i+1) = r(i)·exp(−d²) with d the spacing in units of σ. Within a block the
 * rounding grows to some 130 ulp (3e-14 relative), far below anything a fit resolves.
 */
const BLOCK = 16;

export class GaussianResiduals implements LeastSquaresProblem {
  readonly n = 3;
  readonly m: number;
  /** whose exponentials are in the shared cache */
  private readonly id = ++instances;
  /** the x spacing when x is evenly spaced (within 1e-9 of it), else 0 */
  private readonly step: number;
  /** the parameters the exponentials in `e` belong to */
  private ea = NaN;
  private emu = NaN;
  private es = NaN;

  constructor(private readonly b: Bins) {
    const { x } = b;
    const m = x.length;
    this.m = m;
    const h = m > BLOCK ? (x[m - 1] - x[0]) / (m - 1) : 0;
    let even = h > 0 && Number.isFinite(h);
    for (let i = 0; even && i < m; i++) if (!(Math.abs(x[i] - (x[0] + i * h)) <= 1e-9 * h)) even = false;
    this.step = even ? h : 0;
  }

  /**
   * exp(−½((x−μ)/σ)²) for every x into `e`, and with `fvec` the residuals √w·(a·e − y) into it
   */
  private exponentials(a: number, mu: number, s: number, e: Float64Array, fvec: Float64Array | null): void {
    const { x, y, sw } = this.b;
    const { m, step } = this;
    const d = step / s;
    const q = Math.exp(-(d * d));
    for (let i0 = 0; i0 < m; i0 += BLOCK) {
      const end = Math.min(i0 + BLOCK, m);
      const z = (x[i0] - mu) / s;
      let ei = step === 0 ? 0 : Math.exp(-0.5 * (z * z));
      let r = step === 0 ? 0 : Math.exp(-(z * d + 0.5 * d * d));
      if (ei === 0 || !Number.isFinite(r) || r === 0) {
        // uneven x, or far in a tail where the ratios over- or underflow: one by one
        for (let i = i0; i < end; i++) {
          const zi = (x[i] - mu) / s;
          e[i] = Math.exp(-0.5 * (zi * zi));
        }
      } else
        for (let i = i0; i < end; i++) {
          e[i] = ei;
          ei *= r;
          r *= q;
        }
      if (fvec !== null)
        for (let i = i0; i < end; i++) {
          const res = a * e[i] - y[i];
          fvec[i] = sw === null ? res : sw[i] * res;
        }
    }
  }

  residuals(p: Float64Array, fvec: Float64Array): void {
    if (cache.length < this.m) cache = new Float64Array(this.m);
    this.exponentials(p[0], p[1], p[2], cache, fvec);
    this.ea = p[0];
    this.emu = p[1];
    this.es = p[2];
    owner = this.id;
  }

  /** JᵀJ and Jᵀf at p, reusing the exponentials of the latest residuals when they were at p */
  normalEquations(p: Float64Array, fvec: Float64Array, jtj: Float64Array, jtf: Float64Array): void {
    const { x, sw } = this.b;
    const { m } = this;
    const a = p[0];
    const mu = p[1];
    const s = p[2];
    if (!(owner === this.id && a === this.ea && mu === this.emu && s === this.es)) {
      if (cache.length < m) cache = new Float64Array(m);
      this.exponentials(a, mu, s, cache, null);
      this.ea = a;
      this.emu = mu;
      this.es = s;
      owner = this.id;
    }
    const w = cache;
    let s00 = 0;
    let s01 = 0;
    let s02 = 0;
    let s11 = 0;
    let s12 = 0;
    let s22 = 0;
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    const is = 1 / s;
    const as = a / s;
    for (let i = 0; i < m; i++) {
      const z = (x[i] - mu) * is;
      const ei = w[i];
      // ∂f/∂a, ∂f/∂μ, ∂f/∂σ
      const j0 = sw === null ? ei : sw[i] * ei;
      const j1 = j0 * as * z;
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

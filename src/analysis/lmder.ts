/**
 * MINPACK's Levenberg-Marquardt (lmder: Moré's trust-region variant) for least-squares problems
 * with few parameters and an analytic Jacobian, on typed arrays and a reusable workspace: no
 * allocation while it iterates.
 *
 * It takes the same steps and applies the same termination tests (ftol, xtol, gtol, maxfev) as
 * the MINPACK that scipy's `leastsq` and `curve_fit` (method 'lm') call, so a fit stops where
 * scipy's stops, not merely near the same minimum: fits that end on ftol after linear convergence
 * (large residuals) otherwise differ by more than the tolerance itself.
 * Written after the algorithm of MINPACK (Argonne, 1980: lmder, lmpar, qrsolv). One change: the
 * triangular factor R of J·P = Q·R and Qᵀf are had from a pivoted Cholesky factorisation of JᵀJ
 * and Jᵀf (the same R, with MINPACK's pivot order, up to rounding) instead of Householder QR of
 * the m × n Jacobian, so an iteration costs one pass over the residuals, not n² of them. For the
 * few, well-scaled parameters this is meant for, the squared condition number is harmless.
 */

import { enorm, lmpar, pivotedCholesky } from './lm-step.js';

/**
 * The residuals f(x) (length m) and, at a point, the normal equations of their Jacobian J:
 * JᵀJ (n × n, row-major, full) and Jᵀf.
 */
export interface LeastSquaresProblem {
  readonly m: number;
  readonly n: number;
  residuals(x: Float64Array, fvec: Float64Array): void;
  /** called with the point and residuals of the latest accepted `residuals` call */
  normalEquations(x: Float64Array, fvec: Float64Array, jtj: Float64Array, jtf: Float64Array): void;
}

export interface LmderOptions {
  /** relative reduction of the sum of squares (MINPACK ftol; scipy's default √ε) */
  ftol?: number;
  /** relative change of the scaled parameters (MINPACK xtol; scipy's default √ε) */
  xtol?: number;
  /** cosine between the residuals and the Jacobian's columns (MINPACK gtol; scipy's default 0) */
  gtol?: number;
  /** residual evaluations at most (each Jacobian counts as `jacobianCost` of them) */
  maxfev?: number;
  /**
   * what a Jacobian counts towards maxfev: 0 as lmder; n as lmdif (forward differences), so that
   * a fit gives up where curve_fit without a Jacobian gives up
   */
  jacobianCost?: number;
  /** initial step bound factor (MINPACK's 100) */
  factor?: number;
}

export interface LmderResult {
  /**
   * MINPACK's info: 1 ftol, 2 xtol, 3 both, 4 gtol (converged); 5 maxfev reached; 6, 7, 8
   * tolerances too small for any further progress (scipy's curve_fit fails on 5 to 8)
   */
  info: number;
  nfev: number;
  njev: number;
  /** ‖f‖ at the solution */
  fnorm: number;
  /** f at the solution (the first m entries; the workspace's, until its next use) */
  fvec: Float64Array;
}

const EPSMCH = 2.220446049250313e-16;
const SQRT_EPS = 1.4901161193847656e-8;

/** Scratch for one problem size; grows on demand and is reused across fits. */
export class LmderWorkspace {
  m = 0;
  n = 0;
  fvec = new Float64Array(0);
  /** R (n × n, column-major, upper triangle; lmpar keeps S in the strict lower one) */
  r = new Float64Array(0);
  jtj = new Float64Array(0);
  jtf = new Float64Array(0);
  diag = new Float64Array(0);
  qtf = new Float64Array(0);
  wa1 = new Float64Array(0);
  wa2 = new Float64Array(0);
  wa3 = new Float64Array(0);
  wa4 = new Float64Array(0);
  /** lmpar's scratch (its wa1, wa2) */
  wb1 = new Float64Array(0);
  wb2 = new Float64Array(0);
  ipvt = new Int32Array(0);

  fit(m: number, n: number): this {
    if (this.fvec.length < m || this.diag.length < n) {
      const M = Math.max(m, this.fvec.length);
      const N = Math.max(n, this.diag.length);
      this.fvec = new Float64Array(M);
      this.wa4 = new Float64Array(M);
      this.diag = new Float64Array(N);
      this.qtf = new Float64Array(N);
      this.wa1 = new Float64Array(N);
      this.wa2 = new Float64Array(N);
      this.wa3 = new Float64Array(N);
      this.wb1 = new Float64Array(N);
      this.wb2 = new Float64Array(N);
      this.ipvt = new Int32Array(N);
      this.jtf = new Float64Array(N);
      this.r = new Float64Array(N * N);
      this.jtj = new Float64Array(N * N);
    }
    this.m = m;
    this.n = n;
    return this;
  }
}

const sharedWorkspace = new LmderWorkspace();

/**
 * Minimise ‖f(x)‖² from `x` (changed in place) as MINPACK's lmder does, with its internal
 * scaling (mode 1). The residuals at the solution are left in `ws.fvec`.
 */
export function lmder(problem: LeastSquaresProblem, x: Float64Array, opts: LmderOptions = {}, workspace?: LmderWorkspace): LmderResult {
  const { m, n } = problem;
  if (!(n > 0 && m >= n)) throw new Error(`lmder needs at least as many residuals as parameters, got m=${m}, n=${n}`);
  if (x.length < n) throw new Error(`lmder: ${x.length} start values for ${n} parameters`);
  const ftol = opts.ftol ?? SQRT_EPS;
  const xtol = opts.xtol ?? SQRT_EPS;
  const gtol = opts.gtol ?? 0;
  const maxfev = opts.maxfev ?? 100 * (n + 1);
  const jacobianCost = opts.jacobianCost ?? 0;
  const factor = opts.factor ?? 100;
  if (!(ftol >= 0 && xtol >= 0 && gtol >= 0 && maxfev > 0 && factor > 0))
    throw new Error('lmder: tolerances must be ≥ 0, maxfev and factor > 0');

  const ws = (workspace ?? sharedWorkspace).fit(m, n);
  let fvec = ws.fvec;
  let wa4 = ws.wa4;
  const { r, jtj, jtf, diag, qtf, wa1, wa2, wa3, wb1, wb2, ipvt } = ws;

  let info = 0;
  let nfev = 1;
  let njev = 0;
  problem.residuals(x, fvec);
  let fnorm = enorm(fvec, 0, m);
  let par = 0;
  let iter = 1;
  let delta = 0;
  let xnorm = 0;

  outer: for (;;) {
    problem.normalEquations(x, fvec, jtj, jtf);
    njev++;
    nfev += jacobianCost;
    pivotedCholesky(n, jtj, jtf, r, ipvt, wa1, wa2, qtf);
    if (iter === 1) {
      for (let j = 0; j < n; j++) diag[j] = wa2[j] === 0 ? 1 : wa2[j];
      for (let j = 0; j < n; j++) wa3[j] = diag[j] * x[j];
      xnorm = enorm(wa3, 0, n);
      delta = factor * xnorm;
      if (delta === 0) delta = factor;
    }
    // the scaled gradient's norm: max |cos| between f and J's columns (MINPACK has it as Rᵀ·Qᵀf = Pᵀ·Jᵀf)
    let gnorm = 0;
    if (fnorm !== 0)
      for (let l = 0; l < n; l++) {
        if (wa2[l] === 0) continue;
        gnorm = Math.max(gnorm, Math.abs(jtf[l] / fnorm / wa2[l]));
      }
    if (gnorm <= gtol) {
      info = 4;
      break;
    }
    for (let j = 0; j < n; j++) diag[j] = Math.max(diag[j], wa2[j]);

    for (;;) {
      par = lmpar(n, r, n, ipvt, diag, qtf, delta, par, wa1, wa2, wb1, wb2);
      for (let j = 0; j < n; j++) {
        wa1[j] = -wa1[j];
        wa2[j] = x[j] + wa1[j];
        wa3[j] = diag[j] * wa1[j];
      }
      const pnorm = enorm(wa3, 0, n);
      if (iter === 1) delta = Math.min(delta, pnorm);
      problem.residuals(wa2, wa4);
      nfev++;
      const fnorm1 = enorm(wa4, 0, m);

      let actred = -1;
      if (0.1 * fnorm1 < fnorm) {
        const q = fnorm1 / fnorm;
        actred = 1 - q * q;
      }
      for (let j = 0; j < n; j++) {
        wa3[j] = 0;
        const temp = wa1[ipvt[j]];
        for (let i = 0; i <= j; i++) wa3[i] += r[i + j * n] * temp;
      }
      const temp1 = enorm(wa3, 0, n) / fnorm;
      const temp2 = (Math.sqrt(par) * pnorm) / fnorm;
      const prered = temp1 * temp1 + (temp2 * temp2) / 0.5;
      const dirder = -(temp1 * temp1 + temp2 * temp2);
      const ratio = prered !== 0 ? actred / prered : 0;

      // update the trust radius
      if (ratio <= 0.25) {
        let temp = actred >= 0 ? 0.5 : (0.5 * dirder) / (dirder + 0.5 * actred);
        if (0.1 * fnorm1 >= fnorm || temp < 0.1) temp = 0.1;
        delta = temp * Math.min(delta, pnorm / 0.1);
        par /= temp;
      } else if (par === 0 || ratio >= 0.75) {
        delta = pnorm / 0.5;
        par = 0.5 * par;
      }

      if (ratio >= 1e-4) {
        // successful: take the step (the trial residuals become the current ones)
        for (let j = 0; j < n; j++) {
          x[j] = wa2[j];
          wa2[j] = diag[j] * x[j];
        }
        const t = fvec;
        fvec = wa4;
        wa4 = t;
        xnorm = enorm(wa2, 0, n);
        fnorm = fnorm1;
        iter++;
      }

      const fSmall = Math.abs(actred) <= ftol && prered <= ftol && 0.5 * ratio <= 1;
      if (fSmall) info = 1;
      if (delta <= xtol * xnorm) info = fSmall ? 3 : 2;
      if (info !== 0) break outer;
      if (nfev >= maxfev) info = 5;
      if (Math.abs(actred) <= EPSMCH && prered <= EPSMCH && 0.5 * ratio <= 1) info = 6;
      if (delta <= EPSMCH * xnorm) info = 7;
      if (gnorm <= EPSMCH) info = 8;
      if (info !== 0) break outer;
      if (ratio >= 1e-4) continue outer;
    }
  }
  ws.fvec = fvec;
  ws.wa4 = wa4;
  return { info, nfev, njev, fnorm, fvec };
}

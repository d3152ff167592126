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
const DWARF = 2.2250738585072014e-308;
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

/** ‖v[from..from+len)‖ (MINPACK's enorm without its guards against overflow, not needed here) */
function enorm(v: Float64Array, from: number, len: number): number {
  let s = 0;
  for (let i = from; i < from + len; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * R with J·P = Q·R from A = JᵀJ (n × n row-major, destroyed) by Cholesky with MINPACK's column
 * pivoting (the largest remaining column norm first), and into `qtf` the first n components of
 * Qᵀf = R⁻ᵀ·Pᵀ·Jᵀf. `r` gets R column-major (element (i, j) at i + j·n), `rdiag` its diagonal,
 * `acnorm` the column norms of J, `ipvt[j]` the column of J in position j. A column that adds
 * nothing (rank deficiency) gets a zero diagonal, as MINPACK's QR gives it.
 */
function pivotedCholesky(
  n: number,
  A: Float64Array,
  jtf: Float64Array,
  r: Float64Array,
  ipvt: Int32Array,
  rdiag: Float64Array,
  acnorm: Float64Array,
  qtf: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    acnorm[j] = Math.sqrt(Math.max(0, A[j * n + j]));
    ipvt[j] = j;
    qtf[j] = jtf[j];
  }
  r.fill(0, 0, n * n);
  for (let j = 0; j < n; j++) {
    let kmax = j;
    for (let k = j; k < n; k++) if (A[k * n + k] > A[kmax * n + kmax]) kmax = k;
    if (kmax !== j) {
      // swap rows and columns j, kmax of A (the remaining block), the right-hand side and R's finished rows
      for (let i = 0; i < n; i++) {
        const t = A[j * n + i];
        A[j * n + i] = A[kmax * n + i];
        A[kmax * n + i] = t;
      }
      for (let i = 0; i < n; i++) {
        const t = A[i * n + j];
        A[i * n + j] = A[i * n + kmax];
        A[i * n + kmax] = t;
      }
      for (let i = 0; i < j; i++) {
        const t = r[i + j * n];
        r[i + j * n] = r[i + kmax * n];
        r[i + kmax * n] = t;
      }
      const t = qtf[j];
      qtf[j] = qtf[kmax];
      qtf[kmax] = t;
      const p = ipvt[j];
      ipvt[j] = ipvt[kmax];
      ipvt[kmax] = p;
    }
    const d = A[j * n + j];
    if (!(d > 0)) {
      // nothing left in this column (nor, by the pivoting, in the later ones)
      for (let k = j; k < n; k++) {
        rdiag[k] = 0;
        qtf[k] = 0;
      }
      return;
    }
    const rjj = Math.sqrt(d);
    r[j + j * n] = rjj;
    rdiag[j] = rjj;
    for (let k = j + 1; k < n; k++) r[j + k * n] = A[j * n + k] / rjj;
    for (let k = j + 1; k < n; k++) for (let l = j + 1; l < n; l++) A[k * n + l] -= r[j + k * n] * r[j + l * n];
    // forward substitution Rᵀ·qtf = Pᵀ·Jᵀf, row j
    qtf[j] /= rjj;
    for (let k = j + 1; k < n; k++) qtf[k] -= r[j + k * n] * qtf[j];
  }
}

/**
 * Solve R·z = Qᵀb, D·P·z = 0 in the least-squares sense by Givens rotations (MINPACK's qrsolv).
 * `r` is the upper triangle in the first n rows of an m-row column-major array; its strict lower
 * triangle receives S (with PᵀAᵀAP + PᵀDDP = SᵀS), `sdiag` S's diagonal.
 */
function qrsolv(
  n: number,
  r: Float64Array,
  ldr: number,
  ipvt: Int32Array,
  diag: Float64Array,
  qtb: Float64Array,
  x: Float64Array,
  sdiag: Float64Array,
  wa: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) r[i + j * ldr] = r[j + i * ldr];
    x[j] = r[j + j * ldr];
    wa[j] = qtb[j];
  }
  for (let j = 0; j < n; j++) {
    const l = ipvt[j];
    if (diag[l] !== 0) {
      for (let k = j; k < n; k++) sdiag[k] = 0;
      sdiag[j] = diag[l];
      let qtbpj = 0;
      for (let k = j; k < n; k++) {
        if (sdiag[k] === 0) continue;
        const rkk = r[k + k * ldr];
        let cos: number;
        let sin: number;
        if (Math.abs(rkk) < Math.abs(sdiag[k])) {
          const cotan = rkk / sdiag[k];
          sin = 0.5 / Math.sqrt(0.25 + 0.25 * (cotan * cotan));
          cos = sin * cotan;
        } else {
          const tan = sdiag[k] / rkk;
          cos = 0.5 / Math.sqrt(0.25 + 0.25 * (tan * tan));
          sin = cos * tan;
        }
        r[k + k * ldr] = cos * rkk + sin * sdiag[k];
        const temp = cos * wa[k] + sin * qtbpj;
        qtbpj = -sin * wa[k] + cos * qtbpj;
        wa[k] = temp;
        for (let i = k + 1; i < n; i++) {
          const t = cos * r[i + k * ldr] + sin * sdiag[i];
          sdiag[i] = -sin * r[i + k * ldr] + cos * sdiag[i];
          r[i + k * ldr] = t;
        }
      }
    }
    sdiag[j] = r[j + j * ldr];
    r[j + j * ldr] = x[j];
  }
  let nsing = n;
  for (let j = 0; j < n; j++) {
    if (sdiag[j] === 0 && nsing === n) nsing = j;
    if (nsing < n) wa[j] = 0;
  }
  for (let j = nsing - 1; j >= 0; j--) {
    let sum = 0;
    for (let i = j + 1; i < nsing; i++) sum += r[i + j * ldr] * wa[i];
    wa[j] = (wa[j] - sum) / sdiag[j];
  }
  for (let j = 0; j < n; j++) x[ipvt[j]] = wa[j];
}

/**
 * The Levenberg-Marquardt parameter for trust radius `delta` (MINPACK's lmpar): returns par and
 * leaves the step in `x` (‖D·x‖ within 10% of delta, or par = 0 and ‖D·x‖ ≤ 1.1·delta).
 */
function lmpar(
  n: number,
  r: Float64Array,
  ldr: number,
  ipvt: Int32Array,
  diag: Float64Array,
  qtb: Float64Array,
  delta: number,
  par0: number,
  x: Float64Array,
  sdiag: Float64Array,
  wa1: Float64Array,
  wa2: Float64Array,
): number {
  let par = par0;
  // the Gauss-Newton direction (a least-squares one when the Jacobian is rank-deficient)
  let nsing = n;
  for (let j = 0; j < n; j++) {
    wa1[j] = qtb[j];
    if (r[j + j * ldr] === 0 && nsing === n) nsing = j;
    if (nsing < n) wa1[j] = 0;
  }
  for (let j = nsing - 1; j >= 0; j--) {
    wa1[j] /= r[j + j * ldr];
    const temp = wa1[j];
    for (let i = 0; i < j; i++) wa1[i] -= r[i + j * ldr] * temp;
  }
  for (let j = 0; j < n; j++) x[ipvt[j]] = wa1[j];

  let iter = 0;
  for (let j = 0; j < n; j++) wa2[j] = diag[j] * x[j];
  let dxnorm = enorm(wa2, 0, n);
  let fp = dxnorm - delta;
  if (fp <= 0.1 * delta) return 0;

  // lower bound parl from the Newton step (zero when rank-deficient), upper bound paru
  let parl = 0;
  if (nsing >= n) {
    for (let j = 0; j < n; j++) {
      const l = ipvt[j];
      wa1[j] = diag[l] * (wa2[l] / dxnorm);
    }
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < j; i++) sum += r[i + j * ldr] * wa1[i];
      wa1[j] = (wa1[j] - sum) / r[j + j * ldr];
    }
    const temp = enorm(wa1, 0, n);
    parl = fp / delta / temp / temp;
  }
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i <= j; i++) sum += r[i + j * ldr] * qtb[i];
    wa1[j] = sum / diag[ipvt[j]];
  }
  const gnorm = enorm(wa1, 0, n);
  let paru = gnorm / delta;
  if (paru === 0) paru = DWARF / Math.min(delta, 0.1);

  par = Math.max(par, parl);
  par = Math.min(par, paru);
  if (par === 0) par = gnorm / dxnorm;

  for (;;) {
    iter++;
    if (par === 0) par = Math.max(DWARF, 0.001 * paru);
    const sp = Math.sqrt(par);
    for (let j = 0; j < n; j++) wa1[j] = sp * diag[j];
    qrsolv(n, r, ldr, ipvt, wa1, qtb, x, sdiag, wa2);
    for (let j = 0; j < n; j++) wa2[j] = diag[j] * x[j];
    dxnorm = enorm(wa2, 0, n);
    const previous = fp;
    fp = dxnorm - delta;
    if (Math.abs(fp) <= 0.1 * delta || (parl === 0 && fp <= previous && previous < 0) || iter === 10) break;
    if (dxnorm === 0) break;
    // Newton correction
    for (let j = 0; j < n; j++) {
      const l = ipvt[j];
      wa1[j] = diag[l] * (wa2[l] / dxnorm);
    }
    for (let j = 0; j < n; j++) {
      wa1[j] /= sdiag[j];
      const temp = wa1[j];
      for (let i = j + 1; i < n; i++) wa1[i] -= r[i + j * ldr] * temp;
    }
    const temp = enorm(wa1, 0, n);
    const parc = fp / delta / temp / temp;
    if (fp > 0) parl = Math.max(parl, par);
    if (fp < 0) paru = Math.min(paru, par);
    par = Math.max(parl, par + parc);
  }
  return par;
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

/**
 * The linear algebra of MINPACK's Levenberg-Marquardt step (lmder.ts) for a few parameters: the
 * triangular factor R with column pivoting, the damped least-squares solve (qrsolv) and the
 * choice of the damping parameter for a trust radius (lmpar). Written after MINPACK (Argonne,
 * 1980); R comes from a pivoted Cholesky factorisation of JᵀJ rather than QR of J.
 */

/** the smallest positive double (MINPACK dpmpar(2)) */
const DWARF = 2.2250738585072014e-308;

/** ‖v[from..from+len)‖ (MINPACK's enorm without its guards against overflow, not needed here) */
export function enorm(v: Float64Array, from: number, len: number): number {
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
export function pivotedCholesky(
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
export function lmpar(
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

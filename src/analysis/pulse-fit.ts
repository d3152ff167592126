/**
 * Pulses in a baseline-subtracted waveform: local maxima, and a least-squares fit of K pulses of
 * one shape, a Gaussian rise and a slower Gaussian fall (σ_rise, σ_fall shared by the pulses,
 * amplitude and time each). Fitting the sum rather than taking each maximum matters when pulses
 * overlap: 20 ns apart (4.8 samples) the tail of the first lifts the leading side of the second,
 * and interpolated maxima come out ~1 ns too close together.
 */

export function asymGauss(dt: number, riseSigma: number, fallSigma: number): number {
  const s = dt < 0 ? riseSigma : fallSigma;
  return Math.exp((-0.5 * dt * dt) / (s * s));
}

/**
 * Indices of local maxima above `minHeight` (ties take the first sample), in time order; of two
 * maxima closer than `minSeparation` samples the higher one stays.
 */
export function findPeaks(w: ArrayLike<number>, minHeight: number, minSeparation = 2, from = 1, to = w.length - 1): number[] {
  const out: number[] = [];
  for (let i = Math.max(1, from); i < Math.min(w.length - 1, to); i++) {
    if (!(w[i] > minHeight && w[i] >= w[i - 1] && w[i] > w[i + 1])) continue;
    const last = out[out.length - 1];
    if (last !== undefined && i - last < minSeparation) {
      if (w[i] > w[last]) out[out.length - 1] = i;
    } else out.push(i);
  }
  return out;
}

/** Peak time from a parabola through the maximum and its neighbours (samples). */
export function parabolicPeak(w: ArrayLike<number>, i: number): number {
  if (i <= 0 || i >= w.length - 1) return i;
  const a = w[i - 1];
  const b = w[i];
  const c = w[i + 1];
  const d = a - 2 * b + c;
  return d < 0 ? i + (0.5 * (a - c)) / d : i;
}

export interface PulsesFit {
  /** pulse times in samples (fractional) and amplitudes, in the order given */
  times: number[];
  amplitudes: number[];
  riseSigma: number;
  fallSigma: number;
  /** root mean square residual over the fitted samples */
  rms: number;
  converged: boolean;
}

function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (!(Math.abs(m[p][c]) > 1e-300)) return null;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

/**
 * Levenberg-Marquardt fit of `start.length` pulses to `w[from..to]` (baseline already
 * subtracted). Parameters: [a_0, t_0, a_1, t_1, ..., σ_rise, σ_fall].
 */
export function fitPulses(
  w: ArrayLike<number>,
  from: number,
  to: number,
  start: Array<{ t: number; a: number }>,
  sigma0: { rise: number; fall: number } = { rise: 1.5, fall: 1.5 },
  maxIterations = 50,
): PulsesFit {
  const lo = Math.max(0, Math.floor(from));
  const hi = Math.min(w.length - 1, Math.ceil(to));
  const k = start.length;
  const np = 2 * k + 2;
  let p = [...start.flatMap((s) => [s.a, s.t]), sigma0.rise, sigma0.fall];
  const model = (q: number[], i: number) => {
    let y = 0;
    for (let j = 0; j < k; j++) y += q[2 * j] * asymGauss(i - q[2 * j + 1], q[np - 2], q[np - 1]);
    return y;
  };
  const chi2 = (q: number[]) => {
    let s = 0;
    for (let i = lo; i <= hi; i++) s += (w[i] - model(q, i)) ** 2;
    return s;
  };
  let cur = chi2(p);
  let lambda = 1e-3;
  let converged = false;
  for (let it = 0; it < maxIterations; it++) {
    const jtj = Array.from({ length: np }, () => new Array<number>(np).fill(0));
    const jtr = new Array<number>(np).fill(0);
    const g = new Array<number>(np);
    for (let i = lo; i <= hi; i++) {
      g.fill(0);
      const rise = p[np - 2];
      const fall = p[np - 1];
      let y = 0;
      for (let j = 0; j < k; j++) {
        const a = p[2 * j];
        const dt = i - p[2 * j + 1];
        const s = dt < 0 ? rise : fall;
        const e = Math.exp((-0.5 * dt * dt) / (s * s));
        y += a * e;
        g[2 * j] = e;
        g[2 * j + 1] = (a * e * dt) / (s * s);
        g[dt < 0 ? np - 2 : np - 1] += (a * e * dt * dt) / (s * s * s);
      }
      const r = w[i] - y;
      for (let u = 0; u < np; u++) {
        jtr[u] += g[u] * r;
        for (let v = 0; v <= u; v++) jtj[u][v] += g[u] * g[v];
      }
    }
    for (let u = 0; u < np; u++) for (let v = u + 1; v < np; v++) jtj[u][v] = jtj[v][u];
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const damped = jtj.map((row, u) => row.map((x, v) => (u === v ? x * (1 + lambda) + 1e-12 : x)));
      const step = solve(damped, jtr);
      if (!step) break;
      const q = p.map((x, u) => x + step[u]);
      q[np - 2] = Math.max(0.2, q[np - 2]);
      q[np - 1] = Math.max(0.2, q[np - 1]);
      const c = chi2(q);
      if (c <= cur) {
        const rel = (cur - c) / Math.max(cur, 1e-12);
        p = q;
        cur = c;
        lambda = Math.max(1e-9, lambda / 10);
        improved = true;
        if (rel < 1e-9) converged = true;
      } else lambda *= 10;
    }
    if (!improved) {
      converged = true;
      break;
    }
    if (converged) break;
  }
  return {
    times: start.map((_, j) => p[2 * j + 1]),
    amplitudes: start.map((_, j) => p[2 * j]),
    riseSigma: p[np - 2],
    fallSigma: p[np - 1],
    rms: Math.sqrt(cur / Math.max(1, hi - lo + 1)),
    converged,
  };
}

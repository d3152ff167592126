import { describe, expect, it } from 'vitest';
import { type LeastSquaresProblem, lmder } from '../../src/analysis/lmder.js';

/** a problem from its residuals and Jacobian (row-major m × n) */
function problem(m: number, n: number, f: (x: Float64Array) => number[], jac: (x: Float64Array) => number[][]): LeastSquaresProblem {
  return {
    m,
    n,
    residuals(x, fvec) {
      f(x).forEach((v, i) => (fvec[i] = v));
    },
    normalEquations(x, fvec, jtj, jtf) {
      const J = jac(x);
      for (let a = 0; a < n; a++) {
        jtf[a] = 0;
        for (let i = 0; i < m; i++) jtf[a] += J[i][a] * fvec[i];
        for (let b = 0; b < n; b++) {
          jtj[a * n + b] = 0;
          for (let i = 0; i < m; i++) jtj[a * n + b] += J[i][a] * J[i][b];
        }
      }
    },
  };
}

describe("MINPACK's Levenberg-Marquardt (lmder)", () => {
  it("solves Rosenbrock's valley from (-1.2, 1)", () => {
    const rosenbrock = problem(
      2,
      2,
      (x) => [10 * (x[1] - x[0] * x[0]), 1 - x[0]],
      (x) => [
        [-20 * x[0], 10],
        [-1, 0],
      ],
    );
    const x = Float64Array.of(-1.2, 1);
    const r = lmder(rosenbrock, x);
    expect(r.info).toBeGreaterThanOrEqual(1);
    expect(r.info).toBeLessThanOrEqual(4);
    expect(x[0]).toBeCloseTo(1, 10);
    expect(x[1]).toBeCloseTo(1, 10);
    expect(r.fnorm).toBeLessThan(1e-10);
  });

  it('fits an exponential decay with an offset to its exact values', () => {
    const t = Array.from({ length: 30 }, (_, i) => i * 0.2);
    const y = t.map((v) => 5 * Math.exp(-0.7 * v) + 0.3);
    const decay = problem(
      t.length,
      3,
      (x) => t.map((v, i) => x[0] * Math.exp(-x[1] * v) + x[2] - y[i]),
      (x) => t.map((v) => [Math.exp(-x[1] * v), -x[0] * v * Math.exp(-x[1] * v), 1]),
    );
    const x = Float64Array.of(1, 0.1, 0);
    const r = lmder(decay, x);
    expect(r.info).toBeGreaterThanOrEqual(1);
    expect(r.info).toBeLessThanOrEqual(4);
    expect(x[0]).toBeCloseTo(5, 8);
    expect(x[1]).toBeCloseTo(0.7, 8);
    expect(x[2]).toBeCloseTo(0.3, 8);
  });

  it('ends without NaN where two parameters enter only as their product (rank-deficient Jacobian)', () => {
    const t = [1, 2, 3, 4, 5];
    const product = problem(
      5,
      2,
      (x) => t.map((v) => x[0] * x[1] * v - 6 * v),
      (x) => t.map((v) => [x[1] * v, x[0] * v]),
    );
    const x = Float64Array.of(1, 1);
    const r = lmder(product, x);
    expect(Number.isFinite(x[0]) && Number.isFinite(x[1])).toBe(true);
    expect(x[0] * x[1]).toBeCloseTo(6, 8);
    expect(r.info).toBeGreaterThanOrEqual(1);
  });

  it('stops with info 5 when the evaluations run out, and counts a Jacobian as asked', () => {
    const rosenbrock = problem(
      2,
      2,
      (x) => [10 * (x[1] - x[0] * x[0]), 1 - x[0]],
      (x) => [
        [-20 * x[0], 10],
        [-1, 0],
      ],
    );
    const r = lmder(rosenbrock, Float64Array.of(-1.2, 1), { maxfev: 6, jacobianCost: 2 });
    expect(r.info).toBe(5);
    expect(r.nfev).toBeGreaterThanOrEqual(6);
    expect(r.nfev).toBeLessThan(9);
  });

  it('rejects a problem with fewer residuals than parameters and bad tolerances', () => {
    const p = problem(
      1,
      2,
      () => [0],
      () => [[1, 1]],
    );
    expect(() => lmder(p, Float64Array.of(0, 0))).toThrow(/at least as many residuals/);
    const q = problem(
      2,
      1,
      (x) => [x[0], x[0]],
      () => [[1], [1]],
    );
    expect(() => lmder(q, Float64Array.of(1), { ftol: -1 })).toThrow(/tolerances/);
  });
});

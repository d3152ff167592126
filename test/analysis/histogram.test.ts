import { describe, expect, it } from 'vitest';
import { histogram, median, speRangePc, SPE_BINS } from '../../src/analysis/histogram.js';
import { Rng } from '../../src/sim/rng.js';

describe('fixed-bin histogram', () => {
  it('counts into equal bins, the last one closed, outside values dropped (numpy rules)', () => {
    const h = histogram(Float64Array.from([0, 0.5, 0.99, 1, 2.5, 3, 3.0001, -0.1, NaN]), 3, 0, 3);
    expect(Array.from(h.counts)).toEqual([3, 1, 2]);
    expect(Array.from(h.centres)).toEqual([0.5, 1.5, 2.5]);
    expect(h.outside).toBe(3);
    expect(h.binWidth).toBe(1);
  });

  it('puts values on an edge into the upper bin even where floating point rounds down', () => {
    // 0.3 / (6/80) is 3.9999999999999996 in floating point; numpy's edge for bin 4 is 0.30000000000000004
    const lo = 0;
    const hi = 6;
    const edges = Array.from({ length: 81 }, (_, i) => lo + (i * (hi - lo)) / 80);
    const h = histogram(Float64Array.from(edges.slice(0, 80)), 80, lo, hi);
    expect(Array.from(h.counts).every((c) => c === 1)).toBe(true);
  });

  it('rejects a range or bin count that makes no histogram', () => {
    expect(() => histogram(new Float64Array(1), 0, 0, 1)).toThrow(/bins/);
    expect(() => histogram(new Float64Array(1), 10, 1, 1)).toThrow(/hi > lo/);
  });
});

describe('SPE histogram range (the original)', () => {
  it('is 0-6 pC, 0-10 pC above a 2.5 pC median, 0-14 pC from 4 pC', () => {
    expect(SPE_BINS).toBe(80);
    expect(speRangePc(1.6)).toBe(6);
    expect(speRangePc(2.5)).toBe(6);
    expect(speRangePc(2.51)).toBe(10);
    expect(speRangePc(3.99)).toBe(10);
    expect(speRangePc(4)).toBe(14);
  });
});

describe('median', () => {
  const sortedMedian = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  };

  it('agrees with sorting on odd, even, repeated and ordered inputs', () => {
    const rng = new Rng(11);
    const cases: number[][] = [
      [5],
      [2, 1],
      [3, 1, 2],
      [1, 1, 1, 1],
      [4, 4, 1, 1, 4, 1],
      Array.from({ length: 1001 }, (_, i) => i),
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
      Array.from({ length: 999 }, () => Math.round(rng.uniform(0, 5))),
      Array.from({ length: 10000 }, () => rng.normal(1.6, 0.5)),
    ];
    for (const c of cases) expect(median(Float64Array.from(c))).toBe(sortedMedian(c));
  });

  it('agrees with sorting where a few values lie far out (large arrays go by buckets over a sampled range)', () => {
    const rng = new Rng(12);
    const c = Array.from({ length: 5000 }, () => rng.normal(1.6, 0.5));
    for (let i = 0; i < 400; i++) c[i * 7] = i % 2 ? 1e300 : -Infinity;
    expect(median(Float64Array.from(c))).toBe(sortedMedian(c));
    const steps = Array.from({ length: 4000 }, (_, i) => (i < 2500 ? 0 : i));
    expect(median(Float64Array.from(steps))).toBe(sortedMedian(steps));
  });

  it('is NaN when any value is NaN, as numpy', () => {
    expect(median(Float64Array.from([1, NaN, 3]))).toBeNaN();
    const big = Float64Array.from({ length: 3000 }, (_, i) => i);
    big[1234] = NaN;
    expect(median(big)).toBeNaN();
  });

  it('leaves its input alone, reuses a scratch buffer, and is NaN for nothing', () => {
    const a = Float64Array.from([3, 1, 2, 5]);
    const scratch = new Float64Array(10);
    expect(median(a, scratch)).toBe(2.5);
    expect(Array.from(a)).toEqual([3, 1, 2, 5]);
    expect(median(new Float64Array(0))).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { SPE_BINS, binCentres, binEdges, histogram, median, speRangePc } from '../../src/analysis/histogram.js';
import { speHistogram } from '../../src/analysis/spe-histogram.js';
import { Rng } from '../../src/sim/rng.js';

/** the three-pass way: median, the range it implies, then the histogram */
function separately(q: Float64Array) {
  const med = median(q);
  const hi = speRangePc(med);
  return { median: med, hi, counts: histogram(q, SPE_BINS, 0, hi).counts };
}

function expectSame(q: Float64Array): void {
  const a = speHistogram(q);
  const b = separately(q);
  expect(a.median).toBe(b.median);
  expect(a.hi).toBe(b.hi);
  expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
  expect(Array.from(a.centres)).toEqual(Array.from(binCentres(binEdges(SPE_BINS, 0, b.hi))));
}

describe('SPE histogram in one pass', () => {
  it('equals median + histogram on SPE charges of every range (0-6, 0-10, 0-14 pC), odd and even counts', () => {
    const rng = new Rng(21);
    for (const peak of [0.4, 1.6, 2.5, 2.6, 3.9, 4, 4.1, 7, 13]) {
      for (const n of [1, 2, 3, 999, 1000, 10000, 10001]) {
        const q = new Float64Array(n);
        for (let i = 0; i < n; i++) q[i] = rng.next() < 0.1 ? rng.exponential(1 / (0.15 * peak)) : rng.normal(peak, 0.3 * peak);
        expectSame(q);
      }
    }
  });

  it('bins charges on and next to every bin edge as numpy does (where the 1/40 pC grid and the edges part by rounding)', () => {
    for (const hi of [6, 10, 14]) {
      const edges = binEdges(SPE_BINS, 0, hi);
      const q: number[] = [];
      for (const e of edges) q.push(e, e * (1 - 2 ** -52), e * (1 + 2 ** -52), e - 1e-13, e + 1e-13, e * (1 - 1e-12));
      for (let j = 0; j <= 14 * 40; j++) q.push(j / 40, j * 0.025);
      // a median that puts the histogram in this range
      const med = hi === 6 ? 1.5 : hi === 10 ? 3 : 5;
      while (q.length % 3) q.push(med);
      const fill = q.length * 3;
      for (let i = 0; i < fill; i++) q.push(med);
      expectSame(Float64Array.from(q));
    }
  });

  it('equals them on charges quantised to a grid (all on grid lines), negative, beyond 14 pC and infinite', () => {
    const rng = new Rng(5);
    const quantised = Float64Array.from({ length: 5000 }, () => Math.round(rng.normal(1.6, 0.5) / 0.025) * 0.025);
    expectSame(quantised);
    const f32 = Float64Array.from(new Float32Array(Array.from({ length: 5000 }, () => rng.normal(2.2, 0.7))));
    expectSame(f32);
    const wide = Float64Array.from({ length: 4001 }, () => rng.normal(3, 20));
    wide[7] = Infinity;
    wide[8] = -Infinity;
    wide[9] = -0;
    expectSame(wide);
    expectSame(Float64Array.from({ length: 3000 }, () => rng.normal(40, 5)));
    expectSame(Float64Array.from({ length: 3000 }, () => -rng.exponential(1)));
  });

  it('has a NaN median (as numpy) when a charge is NaN, and still bins the rest', () => {
    const q = Float64Array.from([1, 1.2, NaN, 1.3, 5]);
    const h = speHistogram(q);
    expect(h.median).toBeNaN();
    expect(h.hi).toBe(6);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('is empty with a NaN median for no charges', () => {
    const h = speHistogram(new Float64Array(0));
    expect(h.median).toBeNaN();
    expect(h.counts.every((c) => c === 0)).toBe(true);
  });

  it('uses the scratch buffer it is given and leaves the charges alone', () => {
    const rng = new Rng(9);
    const q = Float64Array.from({ length: 2000 }, () => rng.normal(1.6, 0.5));
    const copy = Float64Array.from(q);
    const scratch = new Float64Array(q.length);
    expect(speHistogram(q, scratch).median).toBe(median(copy));
    expect(Array.from(q)).toEqual(Array.from(copy));
  });
});

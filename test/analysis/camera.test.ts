import { describe, expect, it } from 'vitest';
import { DarkNoiseAccumulator, distribution } from '../../src/analysis/camera-darknoise.js';
import { judgePattern, patternFrame } from '../../src/analysis/camera-pattern.js';
import { Rng } from '../../src/sim/rng.js';

const W = 200;
const H = 120;

/** a frame of independent Gaussian pixels (rounded, clipped to 12 bits), with `extra` added at some pixels */
function frame(rng: Rng, mean: (row: number, col: number) => number, sigma: number, extra: Map<number, number> = new Map()): Uint16Array {
  const f = new Uint16Array(W * H);
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const v = Math.round(mean(r, c) + (extra.get(r * W + c) ?? 0) + sigma * rng.normal());
      f[r * W + c] = Math.min(4095, Math.max(0, v));
    }
  return f;
}

describe('camera dark noise', () => {
  it('finds the pedestal, the temporal noise and the hot pixels; the cropped rows and columns do not count', () => {
    const rng = new Rng(1);
    // hot pixels inside the kept area, and one in the dropped top rows that must not be reported
    const hot = new Map([
      [40 * W + 50, 300],
      [100 * W + 7, 120],
      [5 * W + 60, 500],
    ]);
    const acc = new DarkNoiseAccumulator(W, H);
    // the dropped area holds a different level: it must not move the pedestal
    for (let i = 0; i < 12; i++) acc.add(frame(rng, (r, c) => (r < 16 || c < 3 ? 1000 : 250), 4, hot));
    const r = acc.result();
    expect(r.frames).toBe(12);
    expect(r.pedestalAdu).toBeCloseTo(250 + 420 / ((H - 16) * (W - 3)), 1);
    expect(r.temporalNoiseAdu / Math.sqrt(16 + 1 / 12)).toBeGreaterThan(0.97);
    expect(r.temporalNoiseAdu / Math.sqrt(16 + 1 / 12)).toBeLessThan(1.03);
    // the original's mean of per-pixel std (ddof 0) is biased low for 12 frames: E = σ·c4(12)·sqrt(11/12)
    expect(r.darkNoiseAdu / r.temporalNoiseAdu).toBeCloseTo(0.9776 * Math.sqrt(11 / 12), 1);
    expect(r.hotPixels.map(({ row, col }) => [row, col])).toEqual([
      [40, 50],
      [100, 7],
    ]);
    expect(r.hotPixels.every((h) => h.frames === 12)).toBe(true);
    expect(r.frameMeanAdu).toHaveLength(12);
    const total = r.pedestalHist.counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.99 * (H - 16) * (W - 3));
    expect(r.pedestalHist.edges).toHaveLength(r.pedestalHist.counts.length + 1);
    // the result was taken: no second result, no more frames
    expect(() => acc.result()).toThrow(/already taken/);
    expect(() => acc.add(frame(rng, () => 250, 4, hot))).toThrow(/after the result was taken/);
  });

  it('sums the full 12-bit range over the most frames exactly: the figures are those of doubles; a 257th frame and a value above 12 bits are refused', () => {
    const rng = new Rng(3);
    const acc = new DarkNoiseAccumulator(W, H);
    const kept = (W - 3) * (H - 16);
    const sum = new Float64Array(kept);
    const sumSq = new Float64Array(kept);
    for (let i = 0; i < 256; i++) {
      // extremes on most pixels: 4095 squared, 256 times, is the largest sum a pixel can reach
      const f = frame(rng, (r, c) => ((r + c + i) % 7 === 0 ? 2000 : 4095), 600);
      acc.add(f);
      for (let r = 16, k = 0; r < H; r++)
        for (let c = 3; c < W; c++, k++) {
          sum[k] += f[r * W + c];
          sumSq[k] += f[r * W + c] ** 2;
        }
    }
    let meanSum = 0;
    let stdSum = 0;
    for (let k = 0; k < kept; k++) {
      meanSum += sum[k] / 256;
      stdSum += Math.sqrt(Math.max(0, sumSq[k] - sum[k] * (sum[k] / 256)) / 256);
    }
    const r = acc.result();
    expect(r.pedestalAdu).toBe(meanSum / kept);
    expect(r.darkNoiseAdu).toBe(stdSum / kept);
    expect(r.pedestalAdu).toBeGreaterThan(3500);

    const full = new DarkNoiseAccumulator(W, H);
    for (let i = 0; i < 256; i++) full.add(new Uint16Array(W * H).fill(4095));
    expect(() => full.add(new Uint16Array(W * H))).toThrow('dark noise: at most 256 frames per series (its sums are exact to that)');
    expect(full.result().pedestalAdu).toBe(4095);
    const bad = new DarkNoiseAccumulator(W, H);
    expect(() => bad.add(new Uint16Array(W * H).fill(65520))).toThrow(
      'dark noise: a frame holds 65520, above the 12-bit range of a camera pixel (0-4095)',
    );
  });

  it('needs two frames, and frames of the right size', () => {
    const acc = new DarkNoiseAccumulator(W, H);
    expect(() => acc.add(new Uint16Array(10))).toThrow(/has 24000 pixels, got 10/);
    acc.add(new Uint16Array(W * H));
    expect(() => acc.result()).toThrow(/at least 2 frames/);
  });

  it("the 99th percentile and the histogram are numpy's: linear percentile, auto bins over ±3σ", () => {
    const rng = new Rng(2);
    const pct = (sorted: Float64Array, p: number) => {
      const at = (p / 100) * (sorted.length - 1);
      const i = Math.floor(at);
      return i + 1 < sorted.length ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
    };
    // continuous values, and values in steps of 0.5 as the mean of two 12-bit frames is
    for (const xs of [
      Float64Array.from({ length: 10001 }, () => rng.normal(100, 10)),
      Float64Array.from({ length: 20000 }, () => Math.round(2 * rng.normal(250, 3)) / 2),
    ]) {
      const sorted = xs.slice().sort();
      const d = distribution(xs);
      expect(d.p99).toBe(pct(sorted, 99));
      const m = xs.reduce((a, x) => a + x, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
      const inRange = sorted.filter((x) => x >= m - 3 * sd && x <= m + 3 * sd);
      const fd = (2 * (pct(inRange, 75) - pct(inRange, 25))) / Math.cbrt(inRange.length);
      const sturges = (6 * sd) / (Math.log2(inRange.length) + 1);
      const bins = Math.ceil((6 * sd) / Math.min(fd, sturges));
      expect(d.hist.counts).toHaveLength(bins);
      expect(d.hist.edges[0]).toBeCloseTo(m - 3 * sd, 9);
      expect(d.hist.edges[bins]).toBeCloseTo(m + 3 * sd, 9);
      expect(d.hist.counts.reduce((a, c) => a + c, 0)).toBe(inRange.length);
    }
    // Freedman-Diaconis wins for 10^4 normal values: width 2·IQR/n^(1/3) = 2·13.5/21.5, about 1.25
    const h = distribution(Float64Array.from({ length: 10001 }, () => rng.normal(100, 10))).hist;
    expect(h.counts.length).toBeGreaterThan(40);
    expect(h.counts.length).toBeLessThan(56);
  });
});

describe('camera pattern', () => {
  const checker = (lo: number, hi: number) => (r: number, c: number) => ((Math.floor(r / 20) ^ Math.floor(c / 20)) & 1 ? lo : hi);

  it('a lit checkerboard shows; a dark frame, an evenly lit frame and a saturated one do not', () => {
    const rng = new Rng(3);
    const shows = patternFrame(frame(rng, checker(300, 900), 20), W, H);
    expect(shows).toMatchObject({ shows: true, reason: '' });
    expect(shows.lowAdu).toBeCloseTo(300, 0);
    expect(shows.highAdu).toBeCloseTo(900, 0);
    expect(shows.brightFraction).toBeGreaterThan(0.4);

    const dark = patternFrame(
      frame(rng, () => 250, 3),
      W,
      H,
    );
    expect(dark.shows).toBe(false);
    expect(dark.separation).toBeLessThan(3.5);
    expect(dark.reason).toMatch(/no two separate levels/);

    expect(
      patternFrame(
        frame(rng, () => 2000, 45),
        W,
        H,
      ).shows,
    ).toBe(false);

    const saturated = patternFrame(frame(rng, checker(800, 5000), 20), W, H);
    expect(saturated.shows).toBe(false);
    expect(saturated.reason).toMatch(/saturated/);

    // two levels, but one of them nearly everywhere: not the target's squares
    const spot = patternFrame(
      frame(rng, (_r, c) => (c < 30 ? 300 : 900), 10),
      W,
      H,
    );
    expect(spot.reason).toMatch(/bright part covers/);
  });

  it('a camera passes when any exposure shows the pattern, and says why when none does', () => {
    const rng = new Rng(4);
    const at = (exposureMs: number, f: Uint16Array) => ({ ...patternFrame(f, W, H), exposureMs });
    const dark = at(
      33,
      frame(rng, () => 250, 3),
    );
    const lit = at(200, frame(rng, checker(300, 900), 20));
    expect(judgePattern([dark, lit])).toEqual({ pass: true, reason: '' });
    const none = judgePattern([
      dark,
      at(
        100,
        frame(rng, () => 250, 3),
      ),
    ]);
    expect(none.pass).toBe(false);
    expect(none.reason).toMatch(/^no exposure shows the pattern: 33 ms: no two separate levels .*; 100 ms: /);
  });
});

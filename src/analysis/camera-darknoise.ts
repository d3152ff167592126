/**
 * Dark noise of a camera from a series of dark frames at one gain and exposure, as the original
 * measure_camera_darknoise.py computed it: the first 16 rows and 3 columns are dropped; per pixel
 * the mean (its pedestal) and the standard deviation over the frames; a hot pixel is one above
 * the frame's mean + 5 standard deviations in more than half of the frames. Frames are added one
 * at a time, so a series never has to sit in memory.
 */
export const DARK_CROP = { rows: 16, cols: 3 };
export const HOT_PIXEL_SIGMAS = 5;

export interface Histogram {
  /** bin edges, one more than counts */
  edges: Float64Array;
  counts: Uint32Array;
}

export interface HotPixel {
  /** row and column on the sensor (before the crop) */
  row: number;
  col: number;
  /** frames in which it was above the frame's mean + 5σ */
  frames: number;
}

export interface DarkNoiseResult {
  frames: number;
  /** mean of the per-pixel means: the original's mean_pedestal */
  pedestalAdu: number;
  /** mean of the per-pixel standard deviations (ddof 0, as numpy's std): the original's mean_darknoise */
  darkNoiseAdu: number;
  /** spread of the per-pixel standard deviations: the original's darknoise_error */
  darkNoiseErrorAdu: number;
  /** square root of the mean per-pixel variance with ddof 1: the temporal noise, unbiased for any number of frames */
  temporalNoiseAdu: number;
  /** 99th percentiles of the per-pixel means and standard deviations (mean_99pct, std_99pct) */
  pedestal99Adu: number;
  noise99Adu: number;
  hotPixels: HotPixel[];
  pedestalHist: Histogram;
  noiseHist: Histogram;
  /** mean and standard deviation of each frame over the kept area */
  frameMeanAdu: Float64Array;
  frameStdAdu: Float64Array;
}

export class DarkNoiseAccumulator {
  private readonly cropW: number;
  private readonly cropH: number;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly hot: Uint16Array;
  private readonly frameMean: number[] = [];
  private readonly frameStd: number[] = [];

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly crop = DARK_CROP,
  ) {
    this.cropW = width - crop.cols;
    this.cropH = height - crop.rows;
    if (this.cropW <= 0 || this.cropH <= 0) throw new Error(`a ${width} x ${height} frame has nothing left after the crop`);
    const n = this.cropW * this.cropH;
    this.sum = new Float64Array(n);
    this.sumSq = new Float64Array(n);
    this.hot = new Uint16Array(n);
  }

  get frames(): number {
    return this.frameMean.length;
  }

  /** one frame of 12-bit values, row-major, width x height */
  add(frame: Uint16Array): void {
    if (frame.length !== this.width * this.height)
      throw new Error(`a frame of ${this.width} x ${this.height} has ${this.width * this.height} pixels, got ${frame.length}`);
    let s = 0;
    let s2 = 0;
    for (let r = 0, k = 0; r < this.cropH; r++) {
      const base = (r + this.crop.rows) * this.width + this.crop.cols;
      for (let c = 0; c < this.cropW; c++, k++) {
        const v = frame[base + c];
        this.sum[k] += v;
        this.sumSq[k] += v * v;
        s += v;
        s2 += v * v;
      }
    }
    const n = this.cropW * this.cropH;
    const mean = s / n;
    const std = Math.sqrt(Math.max(0, s2 / n - mean * mean));
    this.frameMean.push(mean);
    this.frameStd.push(std);
    const above = mean + HOT_PIXEL_SIGMAS * std;
    for (let r = 0, k = 0; r < this.cropH; r++) {
      const base = (r + this.crop.rows) * this.width + this.crop.cols;
      for (let c = 0; c < this.cropW; c++, k++) if (frame[base + c] > above) this.hot[k]++;
    }
  }

  result(): DarkNoiseResult {
    const f = this.frames;
    if (f < 2) throw new Error(`dark noise needs at least 2 frames, got ${f}`);
    const n = this.sum.length;
    const mean = new Float64Array(n);
    const std = new Float64Array(n);
    let varSum = 0;
    for (let k = 0; k < n; k++) {
      const m = this.sum[k] / f;
      // sums of 12-bit integers are exact in doubles: no cancellation
      const ss = this.sumSq[k] - this.sum[k] * m;
      mean[k] = m;
      std[k] = Math.sqrt(Math.max(0, ss / f));
      varSum += Math.max(0, ss / (f - 1));
    }
    const hotPixels: HotPixel[] = [];
    for (let k = 0; k < n; k++)
      if (this.hot[k] > f / 2)
        hotPixels.push({ row: Math.floor(k / this.cropW) + this.crop.rows, col: (k % this.cropW) + this.crop.cols, frames: this.hot[k] });
    const meanSorted = mean.slice().sort();
    const stdSorted = std.slice().sort();
    const noise = average(std);
    return {
      frames: f,
      pedestalAdu: average(mean),
      darkNoiseAdu: noise,
      darkNoiseErrorAdu: Math.sqrt(average(std.map((x) => (x - noise) ** 2))),
      temporalNoiseAdu: Math.sqrt(varSum / n),
      pedestal99Adu: percentile(meanSorted, 99),
      noise99Adu: percentile(stdSorted, 99),
      hotPixels,
      pedestalHist: threeSigmaHistogram(meanSorted),
      noiseHist: threeSigmaHistogram(stdSorted),
      frameMeanAdu: Float64Array.from(this.frameMean),
      frameStdAdu: Float64Array.from(this.frameStd),
    };
  }
}

function average(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** numpy's default (linear) percentile of sorted values */
export function percentile(sorted: Float64Array, p: number): number {
  const at = (p / 100) * (sorted.length - 1);
  const i = Math.floor(at);
  return i + 1 < sorted.length ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The original's histograms: numpy's `bins="auto"` over mean ± 3σ of the values (clipped to
 * 0..4096), i.e. the smaller of the Freedman-Diaconis and Sturges bin widths of the values in range.
 */
export function threeSigmaHistogram(values: Float64Array): Histogram {
  const n = values.length;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += values[i];
    s2 += values[i] * values[i];
  }
  const m = s / n;
  const sd = Math.sqrt(Math.max(0, s2 / n - m * m));
  let lo = Math.max(0, m - 3 * sd);
  let hi = Math.min(4096, m + 3 * sd);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const kept = new Float64Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (values[i] >= lo && values[i] <= hi) kept[count++] = values[i];
  const inRange = kept.subarray(0, count);
  const sturges = (hi - lo) / (Math.log2(Math.max(1, count)) + 1);
  const fd = count > 1 ? (2 * (percentile(inRange, 75) - percentile(inRange, 25))) / Math.cbrt(count) : 0;
  const width = fd > 0 ? Math.min(fd, sturges) : sturges;
  const bins = Math.max(1, Math.min(10_000, Math.ceil((hi - lo) / width)));
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Uint32Array(bins);
  const scale = bins / (hi - lo);
  for (let i = 0; i < count; i++) counts[Math.min(bins - 1, Math.floor((inRange[i] - lo) * scale))]++;
  return { edges, counts };
}

/**
 * Dark noise of a camera from a series of dark frames at one gain and exposure, as the original
 * measure_camera_darknoise.py computed it: the first 16 rows and 3 columns are dropped; per pixel
 * the mean (its pedestal) and the standard deviation over the frames; a hot pixel is one above
 * the frame's mean + 5 standard deviations in more than half of the frames. Frames are added one
 * at a time, so a series never has to sit in memory.
 */
const DARK_CROP = { rows: 16, cols: 3 };
const HOT_PIXEL_SIGMAS = 5;
/** the largest 12-bit value */
const MAX_ADU = 4095;
/** frames at most: 256 squares of 12-bit values still sum exactly in 32 bits (256 · 4095² < 2³²) */
export const MAX_DARK_FRAMES = 256;

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
  /** per pixel the sums of the values and of their squares, exact integers (MAX_DARK_FRAMES): half the memory of doubles */
  private readonly sum: Uint32Array;
  private readonly sumSq: Uint32Array;
  private readonly hot: Uint16Array;
  private readonly frameMean: number[] = [];
  private readonly frameStd: number[] = [];
  /** the result was taken (`result`) */
  private spent = false;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly crop = DARK_CROP,
  ) {
    this.cropW = width - crop.cols;
    this.cropH = height - crop.rows;
    if (this.cropW <= 0 || this.cropH <= 0) throw new Error(`a ${width} x ${height} frame has nothing left after the crop`);
    const n = this.cropW * this.cropH;
    this.sum = new Uint32Array(n);
    this.sumSq = new Uint32Array(n);
    this.hot = new Uint16Array(n);
  }

  get frames(): number {
    return this.frameMean.length;
  }

  /** one frame of 12-bit values, row-major, width x height */
  add(frame: Uint16Array): void {
    const { width, cropW, cropH, sum, sumSq, hot } = this;
    const { rows, cols } = this.crop;
    if (this.spent) throw new Error('dark noise: a frame added after the result was taken');
    if (frame.length !== width * this.height)
      throw new Error(`a frame of ${width} x ${this.height} has ${width * this.height} pixels, got ${frame.length}`);
    if (this.frames >= MAX_DARK_FRAMES)
      throw new Error(`dark noise: at most ${MAX_DARK_FRAMES} frames per series (its sums are exact to that)`);
    let top = 0;
    for (let i = 0; i < frame.length; i++) if (frame[i] > top) top = frame[i];
    if (top > MAX_ADU) throw new Error(`dark noise: a frame holds ${top}, above the 12-bit range of a camera pixel (0-${MAX_ADU})`);
    let s = 0;
    let s2 = 0;
    for (let r = 0, k = 0; r < cropH; r++) {
      for (let i = (r + rows) * width + cols, end = i + cropW; i < end; i++, k++) {
        const v = frame[i];
        sum[k] += v;
        sumSq[k] += v * v;
        s += v;
        s2 += v * v;
      }
    }
    const n = cropW * cropH;
    const mean = s / n;
    const std = Math.sqrt(Math.max(0, s2 / n - mean * mean));
    this.frameMean.push(mean);
    this.frameStd.push(std);
    const above = mean + HOT_PIXEL_SIGMAS * std;
    for (let r = 0, k = 0; r < cropH; r++)
      for (let i = (r + rows) * width + cols, end = i + cropW; i < end; i++, k++) if (frame[i] > above) hot[k]++;
  }

  /**
   * The dark noise of the frames added. The per-pixel means, then the standard deviations, go
   * through one image of doubles, made here (a camera's frames are summed in 13 MB, and the
   * master analyses four cameras at once); the accumulator is spent: no more frames, no second
   * result.
   */
  result(): DarkNoiseResult {
    const f = this.frames;
    if (f < 2) throw new Error(`dark noise needs at least 2 frames, got ${f}`);
    if (this.spent) throw new Error('dark noise: the result of these frames was already taken');
    this.spent = true;
    const { sum, sumSq, hot, cropW } = this;
    const n = sum.length;
    const image = new Float64Array(n);
    let meanSum = 0;
    const hotPixels: HotPixel[] = [];
    for (let k = 0; k < n; k++) {
      const m = sum[k] / f;
      image[k] = m;
      meanSum += m;
      if (hot[k] > f / 2)
        hotPixels.push({ row: Math.floor(k / cropW) + this.crop.rows, col: (k % cropW) + this.crop.cols, frames: hot[k] });
    }
    const pedestals = distribution(image);
    let stdSum = 0;
    let stdSq = 0;
    let varSum = 0;
    for (let k = 0; k < n; k++) {
      // the sums are exact integers: no cancellation
      const ss = Math.max(0, sumSq[k] - sum[k] * (sum[k] / f));
      const sd = Math.sqrt(ss / f);
      image[k] = sd;
      stdSum += sd;
      stdSq += sd * sd;
      varSum += ss / (f - 1);
    }
    const noise = stdSum / n;
    const noises = distribution(image);
    return {
      frames: f,
      pedestalAdu: meanSum / n,
      darkNoiseAdu: noise,
      darkNoiseErrorAdu: Math.sqrt(Math.max(0, stdSq / n - noise * noise)),
      temporalNoiseAdu: Math.sqrt(varSum / n),
      pedestal99Adu: pedestals.p99,
      noise99Adu: noises.p99,
      hotPixels,
      pedestalHist: pedestals.hist,
      noiseHist: noises.hist,
      frameMeanAdu: Float64Array.from(this.frameMean),
      frameStdAdu: Float64Array.from(this.frameStd),
    };
  }
}

export interface Distribution {
  /** numpy's default (linear) 99th percentile */
  p99: number;
  /** the original's histogram: numpy's `bins="auto"` over mean ± 3σ (clipped to 0..4096) */
  hist: Histogram;
}

/**
 * The 99th percentile and the original's histogram of a per-pixel image, exactly as numpy makes
 * them, in four passes instead of sorts (a sort of 1.3 million values took most of the analysis
 * time): the values are counted into 65536 bins between the smallest and the largest, and only
 * the values of the bins that hold a wanted rank are sorted. numpy's "auto" bin width is the
 * smaller of the Freedman-Diaconis (2·IQR/n^(1/3)) and Sturges (range/(log2 n + 1)) widths of the
 * values in range.
 */
export function distribution(values: Float64Array): Distribution {
  const n = values.length;
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    sum += x;
    sq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
  let lo = Math.max(0, mean - 3 * sd);
  let hi = Math.min(4096, mean + 3 * sd);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  // fine bins; the ranks of the values in [lo, hi] start after those below lo
  const bins = 65536;
  const scale = max > min ? (bins - 1) / (max - min) : 0;
  const counts = new Uint32Array(bins);
  let below = 0;
  let above = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    counts[Math.floor((x - min) * scale)]++;
    if (x < lo) below++;
    else if (x > hi) above++;
  }
  const starts = new Float64Array(bins + 1);
  for (let b = 0; b < bins; b++) starts[b + 1] = starts[b] + counts[b];
  const binOf = (rank: number) => {
    let l = 0;
    let h = bins - 1;
    while (l < h) {
      const mid = (l + h + 1) >>> 1;
      if (starts[mid] <= rank) l = mid;
      else h = mid - 1;
    }
    return l;
  };
  const inRange = n - below - above;
  const rankAt = (p: number, first: number, count: number) => first + (p / 100) * (count - 1);
  const wanted = [rankAt(99, 0, n), rankAt(25, below, inRange), rankAt(75, below, inRange)];
  const slot = new Int32Array(bins).fill(-1);
  const kept: Float64Array[] = [];
  for (const r of wanted.flatMap((at) => [Math.floor(at), Math.min(n - 1, Math.floor(at) + 1)])) {
    const b = binOf(r);
    if (slot[b] < 0) slot[b] = kept.push(new Float64Array(counts[b])) - 1;
  }
  const filled = new Uint32Array(kept.length);
  for (let i = 0; i < n; i++) {
    const k = slot[Math.floor((values[i] - min) * scale)];
    if (k >= 0) kept[k][filled[k]++] = values[i];
  }
  // quantised values often fill a bin with a single value: nothing to sort then
  for (const v of kept) if (v.some((x) => x !== v[0])) v.sort();
  const valueAt = (rank: number) => {
    const b = binOf(rank);
    return kept[slot[b]][rank - starts[b]];
  };
  const quantile = (at: number) => {
    const i = Math.floor(at);
    return at === i ? valueAt(i) : valueAt(i) + (at - i) * (valueAt(i + 1) - valueAt(i));
  };
  const [p99, q1, q3] = wanted.map(quantile);

  const sturges = (hi - lo) / (Math.log2(Math.max(1, inRange)) + 1);
  const fd = inRange > 1 ? (2 * (q3 - q1)) / Math.cbrt(inRange) : 0;
  const width = fd > 0 ? Math.min(fd, sturges) : sturges;
  const nBins = Math.max(1, Math.min(10_000, Math.ceil((hi - lo) / width)));
  const edges = Float64Array.from({ length: nBins + 1 }, (_, i) => lo + ((hi - lo) * i) / nBins);
  const hist = new Uint32Array(nBins);
  const per = nBins / (hi - lo);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x >= lo && x <= hi) hist[Math.min(nBins - 1, Math.floor((x - lo) * per))]++;
  }
  return { p99, hist: { edges, counts: hist } };
}

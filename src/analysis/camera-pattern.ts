/**
 * The camera pattern test: with its LED on, a camera looks at the pattern target (light and dark
 * squares). The original wrote the frames for a later look by eye and judged pass = 1 or not;
 * here a frame shows the pattern when its pixels fall into two clearly separated levels, each
 * covering a good part of the frame, without saturation:
 *
 * - split the kept area (first 16 rows and 3 columns dropped) at the middle of its 10th and 90th
 *   percentiles; the separation is the distance of the two halves' means over their pooled
 *   standard deviation (a dark or evenly lit frame gives about 2.7, the target hundreds);
 * - the bright part must cover 20-80 % of the area, and under 1 % of the pixels may sit at 4095.
 *
 * The camera passes when at least one exposure shows the pattern.
 */
const PATTERN_LIMITS = {
  crop: { rows: 16, cols: 3 },
  minSeparation: 8,
  brightFraction: [0.2, 0.8] as const,
  maxSaturatedFraction: 0.01,
  maxAdu: 4095,
};

export interface PatternFrame {
  /** mean of the dark and of the bright part of the frame */
  lowAdu: number;
  highAdu: number;
  /** (highAdu - lowAdu) over the pooled standard deviation of the two parts */
  separation: number;
  brightFraction: number;
  saturatedFraction: number;
  shows: boolean;
  /** why it does not show the pattern; empty when it does */
  reason: string;
}

export function patternFrame(frame: Uint16Array, width: number, height: number): PatternFrame {
  const { rows, cols } = PATTERN_LIMITS.crop;
  if (frame.length !== width * height) throw new Error(`a frame of ${width} x ${height} has ${width * height} pixels, got ${frame.length}`);
  const hist = new Float64Array(PATTERN_LIMITS.maxAdu + 1);
  for (let r = rows; r < height; r++)
    for (let c = cols, i = r * width + cols; c < width; c++, i++) hist[Math.min(PATTERN_LIMITS.maxAdu, frame[i])]++;
  const n = (height - rows) * (width - cols);
  const p10 = quantile(hist, n, 0.1);
  const p90 = quantile(hist, n, 0.9);
  const split = (p10 + p90) / 2;
  const part = (from: number, to: number) => {
    let k = 0;
    let s = 0;
    let s2 = 0;
    for (let v = from; v <= to; v++) {
      k += hist[v];
      s += hist[v] * v;
      s2 += hist[v] * v * v;
    }
    const mean = k ? s / k : NaN;
    return { k, mean, ss: k ? s2 - s * mean : 0 };
  };
  const lo = part(0, Math.floor(split));
  const hi = part(Math.floor(split) + 1, PATTERN_LIMITS.maxAdu);
  // a floor of half an ADU: a frame of one value has no spread but no pattern either
  const pooled = Math.max(0.5, Math.sqrt((lo.ss + hi.ss) / n));
  const separation = hi.k && lo.k ? (hi.mean - lo.mean) / pooled : 0;
  const brightFraction = hi.k / n;
  const saturatedFraction = hist[PATTERN_LIMITS.maxAdu] / n;
  const [minBright, maxBright] = PATTERN_LIMITS.brightFraction;
  const reason =
    saturatedFraction >= PATTERN_LIMITS.maxSaturatedFraction
      ? `${(100 * saturatedFraction).toFixed(1)} % of the pixels saturated`
      : separation < PATTERN_LIMITS.minSeparation
        ? `no two separate levels (separation ${separation.toFixed(1)}, needs ${PATTERN_LIMITS.minSeparation})`
        : brightFraction < minBright || brightFraction > maxBright
          ? `the bright part covers ${(100 * brightFraction).toFixed(0)} % of the frame, not ${100 * minBright}-${100 * maxBright} %`
          : '';
  return {
    lowAdu: lo.mean,
    highAdu: hi.mean,
    separation,
    brightFraction,
    saturatedFraction,
    shows: reason === '',
    reason,
  };
}

/** the camera's verdict over its exposures */
export function judgePattern(frames: ReadonlyArray<PatternFrame & { exposureMs: number }>): { pass: boolean; reason: string } {
  const showing = frames.filter((f) => f.shows);
  if (showing.length) return { pass: true, reason: '' };
  return {
    pass: false,
    reason: `no exposure shows the pattern: ${frames.map((f) => `${f.exposureMs} ms: ${f.reason}`).join('; ')}`,
  };
}

/** the value below which a fraction q of the histogram's n entries lie */
function quantile(hist: Float64Array, n: number, q: number): number {
  const want = q * n;
  let seen = 0;
  for (let v = 0; v < hist.length; v++) {
    seen += hist[v];
    if (seen >= want) return v;
  }
  return hist.length - 1;
}

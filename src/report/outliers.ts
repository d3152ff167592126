/**
 * Outliers against the batch: a value further than OUTLIER_MADS median absolute deviations (scaled
 * by 1.4826, so one MAD is one standard deviation for normal data) from the batch median. Robust:
 * the outlier itself hardly moves the median or the MAD. Needs at least MIN_BATCH values.
 */
export const OUTLIER_MADS = 3;
export const MIN_BATCH = 5;
const MAD_TO_SIGMA = 1.4826;

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface BatchStats {
  median: number;
  /** scaled MAD (σ-equivalent) */
  mad: number;
  n: number;
}

export function batchStats(xs: readonly number[]): BatchStats {
  const m = median(xs);
  return { median: m, mad: MAD_TO_SIGMA * median(xs.map((x) => Math.abs(x - m))), n: xs.length };
}

/** How many MADs `x` is from the median, or null when the batch is too small or has no spread. */
export function madScore(x: number, s: BatchStats): number | null {
  if (s.n < MIN_BATCH || !(s.mad > 0)) return null;
  return (x - s.median) / s.mad;
}

export interface Outlier<T> {
  item: T;
  score: number;
  reason: string;
}

/** The items whose value is an outlier of the batch, with a reason naming the numbers. */
export function findOutliers<T>(items: readonly T[], value: (t: T) => number, describe: (t: T) => string, units = ''): Outlier<T>[] {
  const s = batchStats(items.map(value));
  const u = units ? ` ${units}` : '';
  const out: Outlier<T>[] = [];
  for (const it of items) {
    const score = madScore(value(it), s);
    if (score === null || Math.abs(score) <= OUTLIER_MADS) continue;
    out.push({
      item: it,
      score,
      reason: `${describe(it)} = ${Number(value(it).toPrecision(5))}${u} is ${Math.abs(score).toFixed(1)} MADs ${score > 0 ? 'above' : 'below'} the batch median ${Number(s.median.toPrecision(5))}${u} (MAD ${Number(s.mad.toPrecision(3))}${u}, ${s.n} values)`,
    });
  }
  return out;
}

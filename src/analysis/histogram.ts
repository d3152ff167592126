/**
 * Fixed-bin histograms and medians over typed arrays, as numpy's `histogram` and `median` compute
 * them, so fits built on them can be compared bin by bin with the original analysis.
 */

export interface Histogram {
  counts: Float64Array;
  centres: Float64Array;
  lo: number;
  hi: number;
  binWidth: number;
  /** entries below `lo` or above `hi` (not counted in any bin) */
  outside: number;
}

/**
 * `bins` equal bins over [lo, hi]; the last bin includes `hi`, values outside are dropped
 * (numpy's rule). NaN is dropped as well.
 */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): Histogram {
  if (!(bins > 0) || !Number.isInteger(bins)) throw new Error(`histogram needs a positive whole number of bins, got ${bins}`);
  if (!(hi > lo)) throw new Error(`histogram range must have hi > lo, got [${lo}, ${hi}]`);
  const counts = new Float64Array(bins);
  const centres = new Float64Array(bins);
  const edges = new Float64Array(bins + 1);
  const width = (hi - lo) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * width;
  edges[bins] = hi;
  for (let i = 0; i < bins; i++) centres[i] = 0.5 * (edges[i] + edges[i + 1]);
  const scale = bins / (hi - lo);
  let outside = 0;
  for (let j = 0; j < values.length; j++) {
    const x = values[j];
    if (!(x >= lo && x <= hi)) {
      outside++;
      continue;
    }
    let k = Math.floor((x - lo) * scale);
    if (k >= bins) k = bins - 1;
    // rounding of (x - lo) * scale can land one bin off the edges' own arithmetic
    else if (x < edges[k]) k--;
    else if (k < bins - 1 && x >= edges[k + 1]) k++;
    counts[k]++;
  }
  return { counts, centres, lo, hi, binWidth: width, outside };
}

/** The original's SPE histogram: 80 bins over 0-6 pC, 0-10 pC when the median is above 2.5 pC, 0-14 pC from 4 pC. */
export const SPE_BINS = 80;
export function speRangePc(medianPc: number): number {
  if (medianPc >= 4) return 14;
  if (medianPc > 2.5) return 10;
  return 6;
}

/** k-th smallest (0-based) of a[from..to], partially reordering `a` in place (Hoare selection). */
function selectInPlace(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // median of three as pivot keeps sorted and reversed input from going quadratic
    const mid = (left + right) >> 1;
    let p = a[mid];
    const l = a[left];
    const r = a[right];
    if ((l <= p && p <= r) || (r <= p && p <= l)) {
      /* p is the median */
    } else if ((p <= l && l <= r) || (r <= l && l <= p)) p = l;
    else p = r;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Median (numpy's: mean of the two middle values for an even count) in expected linear time on
 * a scratch copy; NaN when empty. Pass `scratch` (length ≥ n) to avoid the allocation in loops.
 */
export function median(values: ArrayLike<number>, scratch?: Float64Array): number {
  const n = values.length;
  if (n === 0) return NaN;
  const a = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = values[i];
  const k = n >> 1;
  const upper = selectInPlace(a, k);
  if (n & 1) return upper;
  // after selection everything in a[0..k) is ≤ a[k]: the lower middle is their maximum
  let lower = -Infinity;
  for (let i = 0; i < k; i++) if (a[i] > lower) lower = a[i];
  return 0.5 * (lower + upper);
}

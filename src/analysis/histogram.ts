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
  const edges = binEdges(bins, lo, hi);
  const width = (hi - lo) / bins;
  const centres = binCentres(edges);
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

/** numpy's edges of `bins` equal bins over [lo, hi] (linspace: lo + i·width, the last one hi itself) */
export function binEdges(bins: number, lo: number, hi: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const width = (hi - lo) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * width;
  edges[bins] = hi;
  return edges;
}

/** the bins' centres as the original computes them: 0.5·(edges[i] + edges[i+1]) */
export function binCentres(edges: Float64Array): Float64Array {
  const centres = new Float64Array(edges.length - 1);
  for (let i = 0; i < centres.length; i++) centres[i] = 0.5 * (edges[i] + edges[i + 1]);
  return centres;
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

/** Below this many values the median sorts out by selection alone. */
const BUCKET_MEDIAN_FROM = 512;
const BUCKETS = 1024;
const SAMPLE = 63;
let bucketCounts = new Int32Array(BUCKETS);
const sample = new Float64Array(SAMPLE);

/**
 * Median (numpy's: mean of the two middle values for an even count) in expected linear time,
 * NaN when empty or when any value is NaN (as numpy). Pass `scratch` (length ≥ n) to avoid an
 * allocation in loops. The input is left alone.
 *
 * Large arrays go by buckets: a sample sets a range, one pass counts the values into 1024 equal
 * buckets over it (those outside into the end ones), a second copies out the bucket(s) holding
 * the middle rank(s), and selection finishes among those few. The bucket of a value is a
 * monotonic function of it, so the bucket counts give each value's rank exactly.
 */
export function median(values: ArrayLike<number>, scratch?: Float64Array): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n >= BUCKET_MEDIAN_FROM && values instanceof Float64Array) {
    const m = bucketMedian(values, scratch);
    if (m !== null) return m;
  }
  const a = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) return NaN;
    a[i] = v;
  }
  return middleOf(a, n >> 1, (n & 1) === 0);
}

/**
 * The value of rank k (0-based) of `a`, reordered in place; with `meanWithBelow` the mean of the
 * values of ranks k − 1 and k (the median of an even count).
 */
export function middleOf(a: Float64Array, k: number, meanWithBelow: boolean): number {
  const upper = selectInPlace(a, k);
  if (!meanWithBelow) return upper;
  // after selection everything in a[0..k) is ≤ a[k]: the lower middle is their maximum
  let lower = -Infinity;
  for (let i = 0; i < k; i++) if (a[i] > lower) lower = a[i];
  return 0.5 * (lower + upper);
}

/** The median by buckets (see `median`); null when the sample gives no finite range. */
function bucketMedian(v: Float64Array, scratch?: Float64Array): number | null {
  const n = v.length;
  // range: a strided sample's 4th lowest to 4th highest (about its 6th to 94th percentiles)
  const stride = Math.floor(n / SAMPLE);
  for (let i = 0; i < SAMPLE; i++) sample[i] = v[i * stride];
  sample.sort();
  const lo = sample[3];
  const hi = sample[SAMPLE - 4];
  const scale = BUCKETS / (hi - lo);
  if (!(hi > lo) || !Number.isFinite(scale) || !Number.isFinite(lo)) return null;

  if (bucketCounts.length !== BUCKETS) bucketCounts = new Int32Array(BUCKETS);
  const counts = bucketCounts;
  counts.fill(0);
  const last = BUCKETS - 1;
  for (let i = 0; i < n; i++) {
    const t = (v[i] - lo) * scale;
    if (t >= 0) counts[t < BUCKETS ? t | 0 : last]++;
    else if (t < 0) counts[0]++;
    else return NaN; // a NaN anywhere
  }
  const { k, below, b1, b2, size } = middleBuckets(counts, n);
  const a = scratch && scratch.length >= size ? scratch : new Float64Array(size);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    const t = (x - lo) * scale;
    const b = t >= 0 ? (t < BUCKETS ? t | 0 : last) : 0;
    if (b >= b1 && b <= b2) a[j++] = x;
  }
  return middleOf(a.subarray(0, size), k - below, (n & 1) === 0);
}

/**
 * Of `n` values counted into buckets (in order), the buckets b1..b2 that hold the middle ranks
 * k1 = k − 1 (n even) and k = n / 2 (rounded down), how many values lie below b1 and in b1..b2.
 */
export function middleBuckets(counts: Int32Array, n: number): { k: number; below: number; b1: number; b2: number; size: number } {
  const k = n >> 1;
  const k1 = n & 1 ? k : k - 1;
  let below = 0;
  let b1 = 0;
  while (below + counts[b1] <= k1) below += counts[b1++];
  let b2 = b1;
  let upTo = below + counts[b1];
  while (upTo <= k) upTo += counts[++b2];
  return { k, below, b1, b2, size: upTo - below };
}

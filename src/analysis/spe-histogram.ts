/**
 * The original's SPE histogram of a set of charges (pC) in two passes over them: the median,
 * the range it implies (`speRangePc`) and the 80 bins over it, equal to numpy's `median` and
 * `histogram` (what `median` and `histogram` compute one by one, in three passes).
 *
 * Pass one counts every charge into a grid of 1/40 pC over 0-14 pC (one bucket below, one from
 * 14 up). Every SPE bin edge, k·6/80, k·10/80 or k·14/80 pC, is a line of that grid, so each
 * SPE bin is 3, 5 or 7 grid buckets. A charge within rounding of a grid line (where numpy's edge
 * and the grid may disagree) is set aside and binned by numpy's rule itself. The bucket of a
 * charge is a monotonic function of it, so the counts give the ranks, and selection among the
 * charges of the bucket(s) holding the middle rank(s) gives the exact median: pass one also
 * threads each bucket's charges into a list, so that they are found without a second pass.
 */
import { SPE_BINS, binCentres, binEdges, histogram, middleBuckets, middleOf, speRangePc } from './histogram.js';

export interface SpeBins {
  /** numpy's median of the charges (NaN when any is NaN) */
  median: number;
  /** the range's upper end, pC (6, 10 or 14) */
  hi: number;
  counts: Float64Array;
  centres: Float64Array;
}

/** grid lines per pC */
const GRID = 40;
/** buckets: 0 below 0 pC (and NaN), 1..560 the grid over [0, 14) pC, 561 from 14 pC up */
const TOP = 14 * GRID + 1;
/**
 * how near a grid line (in grid units) a charge is set aside: rounding moves an edge or a
 * charge × 40 by < 1e-12 of a unit below 14 pC
 */
const NEAR = 1e-9;

/**
 * x·40 + 1 held to [0.5, TOP + 0.5] (NaN stays NaN): its whole part is the bucket, its fraction
 * where in the bucket x lies (0.5 for anything beyond the grid's ends, so those are not set aside).
 */
function shifted(x: number): number {
  let u = x * GRID + 1;
  u = u < 0.5 ? 0.5 : u;
  return u > TOP + 0.5 ? TOP + 0.5 : u;
}

/** the bin centres of each range, numpy's (6, 10 and 14 pC) */
const CENTRES = new Map([6, 10, 14].map((hi) => [hi, binCentres(binEdges(SPE_BINS, 0, hi))]));
function centresOf(hi: number): Float64Array {
  const c = CENTRES.get(hi);
  if (!c) throw new Error(`no SPE range up to ${hi} pC`);
  return c;
}

const buckets = new Int32Array(TOP + 1);
/**
 * Pass one keeps two lanes, even and odd charges, each with counts and lists of its own, summed
 * after the pass: a run of charges in one bucket then does not make every count and list head
 * wait for the store before it (near 2x on the pass, bench/spe-fit.ts).
 */
const LANE = TOP + 1;
const laneCounts = new Int32Array(2 * LANE);
/** per lane, the latest charge (index) put into each bucket; for each charge the one put before it into its bucket and lane */
const head = new Int32Array(2 * LANE);
let next = new Int32Array(0);
/** the charges set aside (as many as the charges at most) */
let aside = new Float64Array(0);

/** The SPE histogram of `charges`; `scratch` (length ≥ charges) spares an allocation in loops. */
export function speHistogram(charges: Float64Array, scratch?: Float64Array): SpeBins {
  const n = charges.length;
  if (next.length < n) {
    next = new Int32Array(n);
    aside = new Float64Array(n);
  }
  const nAside = countIntoBuckets(charges, laneCounts, head, next, aside);
  for (let j = 0; j < LANE; j++) buckets[j] = laneCounts[j] + laneCounts[j + LANE];
  let nan = false;
  for (let i = 0; i < nAside; i++) if (aside[i] !== aside[i]) nan = true;
  const med = n === 0 || nan ? NaN : medianByBuckets(charges, buckets, head, next, scratch);

  const hi = speRangePc(med);
  const per = (hi * GRID) / SPE_BINS; // grid buckets per bin: 3, 5 or 7
  // counts and centres share one buffer: an allocation less per histogram
  const buffer = new Float64Array(2 * SPE_BINS);
  const out = buffer.subarray(0, SPE_BINS);
  for (let k = 0, b = 1; k < SPE_BINS; k++) {
    let c = 0;
    for (let q = 0; q < per; q++) c += buckets[b++];
    out[k] = c;
  }
  if (nAside > 0) {
    // the charges set aside leave the bins the grid gave them for those numpy's edges give
    const gridTop = hi * GRID;
    for (let i = 0; i < nAside; i++) {
      const b = shifted(aside[i]) | 0;
      if (b >= 1 && b <= gridTop) out[Math.floor((b - 1) / per)]--;
    }
    const exact = histogram(aside.subarray(0, nAside), SPE_BINS, 0, hi);
    for (let k = 0; k < SPE_BINS; k++) out[k] += exact.counts[k];
  }
  const centres = buffer.subarray(SPE_BINS);
  centres.set(centresOf(hi));
  return { median: med, hi, counts: out, centres };
}

/**
 * Pass one: each charge counted into its bucket and threaded onto the bucket's list in its lane
 * (`counts`, `last`: two lanes of LANE), even charges in lane 0, odd in lane 1; those within
 * rounding of a grid line (and NaN) also copied into `aside` (length ≥ charges). Returns how many
 * were set aside.
 */
function countIntoBuckets(charges: Float64Array, counts: Int32Array, last: Int32Array, before: Int32Array, aside: Float64Array): number {
  counts.fill(0);
  last.fill(-1);
  let nAside = 0;
  const n = charges.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x0 = charges[i];
    const x1 = charges[i + 1];
    const u0 = shifted(x0);
    const u1 = shifted(x1);
    const j0 = u0 | 0;
    const j1 = (u1 | 0) + LANE;
    counts[j0]++;
    counts[j1]++;
    before[i] = last[j0];
    last[j0] = i;
    before[i + 1] = last[j1];
    last[j1] = i + 1;
    const f0 = u0 - j0;
    const f1 = u1 - (j1 - LANE);
    if (!(f0 > NEAR && f0 < 1 - NEAR)) aside[nAside++] = x0;
    if (!(f1 > NEAR && f1 < 1 - NEAR)) aside[nAside++] = x1;
  }
  if (i < n) {
    const x = charges[i];
    const u = shifted(x);
    const j = u | 0;
    counts[j]++;
    before[i] = last[j];
    last[j] = i;
    const frac = u - j;
    if (!(frac > NEAR && frac < 1 - NEAR)) aside[nAside++] = x;
  }
  return nAside;
}

/** The median from the bucket counts: select among the charges of the bucket(s) of the middle rank(s). */
function medianByBuckets(charges: Float64Array, counts: Int32Array, last: Int32Array, before: Int32Array, scratch?: Float64Array): number {
  const n = charges.length;
  const { k, below, b1, b2, size } = middleBuckets(counts, n);
  const a = scratch && scratch.length >= size ? scratch.subarray(0, size) : new Float64Array(size);
  let m = 0;
  for (let b = b1; b <= b2; b++) for (const l of [b, b + LANE]) for (let i = last[l]; i >= 0; i = before[i]) a[m++] = charges[i];
  return middleOf(a, k - below, (n & 1) === 0);
}

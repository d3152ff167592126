/**
 * The time differences of run_timing (timing/get_offset.py): each PMT charge stamp against the
 * tabletop board's sync stamp of the same laser shot, both already in hub time (analysis/rapcal.ts).
 * Their spread is what the FAT calls the SPE time resolution; with the rounding of the two 240 MHz
 * timestamps taken out in quadrature (a tick, 4.17 ns, each: (4.17 ns)²/12) it is the PMT timing
 * resolution. Stamps away from the laser (dark pulses) fall outside a window around the median.
 */
export const STAMP_TICK_NS = 1e9 / 240e6;
/** the variance one 240 MHz timestamp adds by its rounding (ns²) */
export const STAMP_ROUNDING_NS2 = STAMP_TICK_NS ** 2 / 12;
/** a difference further than this from the median is not the laser's */
export const TIMING_WINDOW_NS = 30;
/** fewer laser stamps than this give no spread */
export const MIN_TIMING_EVENTS = 20;

/**
 * For each PMT stamp (hub seconds), its difference in ns to the reference's stamp of the same
 * shot, NaN where the reference has none. Shots are numbered along the reference's stamps by the
 * laser period; two reference stamps on one shot make it ambiguous, and it is left out.
 */
export function shotDifferencesNs(referenceS: Float64Array, periodS: number, pmtS: Float64Array): Float64Array {
  const out = new Float64Array(pmtS.length).fill(NaN);
  if (!referenceS.length) return out;
  const t0 = referenceS[0];
  const byShot = new Map<number, number>();
  for (const t of referenceS) {
    const k = Math.round((t - t0) / periodS);
    byShot.set(k, byShot.has(k) ? NaN : t);
  }
  for (let i = 0; i < pmtS.length; i++) {
    const ref = byShot.get(Math.round((pmtS[i] - t0) / periodS));
    if (ref !== undefined && Number.isFinite(ref)) out[i] = (pmtS[i] - ref) * 1e9;
  }
  return out;
}

export interface TimingSpread {
  /** differences inside the window (the laser's) */
  events: number;
  /** differences outside it (dark pulses) */
  outside: number;
  /** mean difference, its standard error, and the spread (ns); NaN with fewer than MIN_TIMING_EVENTS */
  offsetNs: number;
  offsetErrorNs: number;
  speTimeResolutionNs: number;
  pmtTimingResolutionNs: number;
}

export function timingSpread(dtNs: ArrayLike<number>): TimingSpread {
  const all = Array.from(dtNs).filter(Number.isFinite);
  const sorted = [...all].sort((a, b) => a - b);
  const median = sorted.length ? sorted[sorted.length >> 1] : NaN;
  const kept = all.filter((x) => Math.abs(x - median) <= TIMING_WINDOW_NS);
  const n = kept.length;
  const none = {
    events: n,
    outside: all.length - n,
    offsetNs: NaN,
    offsetErrorNs: NaN,
    speTimeResolutionNs: NaN,
    pmtTimingResolutionNs: NaN,
  };
  if (n < MIN_TIMING_EVENTS) return none;
  const mean = kept.reduce((a, b) => a + b, 0) / n;
  const variance = kept.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return {
    ...none,
    offsetNs: mean,
    offsetErrorNs: Math.sqrt(variance / n),
    speTimeResolutionNs: Math.sqrt(variance),
    pmtTimingResolutionNs: Math.sqrt(Math.max(0, variance - 2 * STAMP_ROUNDING_NS2)),
  };
}

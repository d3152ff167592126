/**
 * Double pulse and droop (measure_pulsed_waveform.py, original-system.md §6.7): the laser fires a
 * burst of pulses a fixed time apart; a 1024-sample waveform holds the whole burst.
 *
 * - double: per waveform the first two pulses are fitted together (pulse-fit.ts); the separation
 *   is the difference of their fitted times, the peak ratio second / first of their fitted
 *   amplitudes (of the mean amplitudes over events, so single-event fluctuations do not bias it),
 *   the peak-to-valley the lower of the two sampled maxima over the lowest sample between them.
 * - droop: a long burst; the spacing and first pulse from a line through all the maxima of the
 *   train (trainFit), median spacing over events; the train is cut into segments of equal numbers of pulses, boundaries
 *   half a spacing between pulses, and each segment's charge (Σ samples above baseline, summed
 *   over events) divided by its pulses. droop = 1 − (charge per pulse of the second-to-last
 *   segment) / (that of the second segment): a base that cannot hold its voltage during the
 *   burst gives later pulses less charge. The end segments are left out of the ratio because
 *   the first has no earlier pulse spilling into it and the last keeps the whole tail of the train.
 */
import { findPeaks, fitPulses, parabolicPeak } from './pulse-fit.js';

export const NS_PER_SAMPLE = 1e9 / 240e6;
/** 100 ns: how far after the first the second pulse of a double may be */
export const MAX_SEPARATION_SAMPLES = 24;

export interface DoublePulseEvent {
  /** fitted times, samples from the window start */
  t1: number;
  t2: number;
  /** fitted amplitudes, ADC above baseline */
  a1: number;
  a2: number;
  /** lowest sample between the two maxima, ADC above baseline */
  valleyAdc: number;
  /** sampled maxima, ADC above baseline */
  peak1Adc: number;
  peak2Adc: number;
}

/**
 * The first two pulses of one waveform (`w` above baseline). A pulse must rise above
 * `minHeightAdc`; null when there are fewer than two (unless `spacingHint`, samples, says where
 * to look for the second beside the one maximum), or the fit fails. Sampled maxima and valley
 * are NaN for a pair found through the hint.
 */
export function doublePulseOf(w: ArrayLike<number>, minHeightAdc: number, spacingHint?: number): DoublePulseEvent | null {
  const all = findPeaks(w, minHeightAdc, 2);
  if (!all.length) return null;
  // the second pulse of the burst follows within MAX_SEPARATION_SAMPLES; a maximum further on is a
  // dark pulse somewhere in the 1024 samples
  const peaks = all.filter((p) => p - all[0] <= MAX_SEPARATION_SAMPLES);
  if (peaks.length < 2) {
    // one maximum: with the spacing known, the other pulse is a shoulder after (or before) it
    if (spacingHint === undefined) return null;
    const p = peaks[0];
    const tries = [
      fitPair(w, parabolicPeak(w, p), w[p], parabolicPeak(w, p) + spacingHint, w[Math.min(w.length - 1, Math.round(p + spacingHint))]),
      fitPair(w, parabolicPeak(w, p) - spacingHint, w[Math.max(0, Math.round(p - spacingHint))], parabolicPeak(w, p), w[p]),
    ].filter((f): f is DoublePulseEvent & { rms: number } => f !== null && Math.abs(f.t2 - f.t1 - spacingHint) < 1.5);
    if (!tries.length) return null;
    const best = tries.reduce((a, b) => (b.rms < a.rms ? b : a));
    return { t1: best.t1, t2: best.t2, a1: best.a1, a2: best.a2, valleyAdc: NaN, peak1Adc: NaN, peak2Adc: NaN };
  }
  const [p1, p2] = peaks;
  let v = p1;
  for (let i = p1; i <= p2; i++) if (w[i] < w[v]) v = i;
  const f = fitPair(w, parabolicPeak(w, p1), w[p1], parabolicPeak(w, p2), w[p2]);
  if (!f || Math.abs(f.t1 - p1) > 2 || Math.abs(f.t2 - p2) > 2) return null;
  return { t1: f.t1, t2: f.t2, a1: f.a1, a2: f.a2, valleyAdc: w[v], peak1Adc: w[p1], peak2Adc: w[p2] };
}

function fitPair(
  w: ArrayLike<number>,
  t1: number,
  a1: number,
  t2: number,
  a2: number,
): { t1: number; t2: number; a1: number; a2: number; rms: number } | null {
  const f = fitPulses(w, t1 - 5, t2 + 7, [
    { t: t1, a: Math.max(1, a1) },
    { t: t2, a: Math.max(1, a2) },
  ]);
  const [u1, u2] = f.times;
  const [b1, b2] = f.amplitudes;
  if (!f.converged || !(b1 > 0 && b2 > 0) || !(u2 > u1)) return null;
  return { t1: u1, t2: u2, a1: b1, a2: b2, rms: f.rms };
}

export interface DoublePulseSummary {
  events: number;
  /** waveforms with two pulses fitted */
  fitted: number;
  separationNs: number;
  separationMedianNs: number;
  separationStdNs: number;
  /** mean second amplitude / mean first amplitude */
  peakRatio: number;
  /** median of min(peak1, peak2) / valley */
  peakToValley: number;
  meanAmplitude1Adc: number;
  meanAmplitude2Adc: number;
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summariseDoublePulse(events: number, fits: readonly DoublePulseEvent[]): DoublePulseSummary {
  const sep = fits.map((f) => (f.t2 - f.t1) * NS_PER_SAMPLE);
  const n = sep.length;
  const mean = n ? sep.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(sep.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const m1 = n ? fits.reduce((a, f) => a + f.a1, 0) / n : NaN;
  const m2 = n ? fits.reduce((a, f) => a + f.a2, 0) / n : NaN;
  const ptv = fits.filter((f) => f.valleyAdc > 0).map((f) => Math.min(f.peak1Adc, f.peak2Adc) / f.valleyAdc);
  return {
    events,
    fitted: n,
    separationNs: mean,
    separationMedianNs: median(sep),
    separationStdNs: std,
    peakRatio: m2 / m1,
    peakToValley: median(ptv),
    meanAmplitude1Adc: m1,
    meanAmplitude2Adc: m2,
  };
}

/** Σ of a piecewise-linear signal through the samples of `w` over [a, b) in samples. */
export function integrate(w: ArrayLike<number>, a: number, b: number): number {
  const lo = Math.max(0, a);
  const hi = Math.min(w.length - 1, b);
  if (!(hi > lo)) return 0;
  const at = (x: number) => {
    const i = Math.min(w.length - 2, Math.floor(x));
    const f = x - i;
    return w[i] * (1 - f) + w[i + 1] * f;
  };
  let s = 0;
  let x = lo;
  while (x < hi) {
    const next = Math.min(hi, Math.floor(x) + 1);
    s += 0.5 * (at(x) + at(next)) * (next - x);
    x = next;
  }
  return s;
}

/**
 * A long burst in one waveform (`w` above baseline): the pulse spacing from a straight line through the interpolated maxima against their pulse numbers. A pulse
 * that does not form a maximum of its own (a small one next to a large one) leaves a gap; the
 * numbers come from the median distance between neighbouring maxima, so a gap does not shift them.
 * Fitting the first two pulses alone, as for a double pulse, would be pulled by the third. The
 * first pulse's time is its interpolated maximum.
 */
export function trainFit(w: ArrayLike<number>, minHeightAdc: number): { t0: number; spacingSamples: number; pulses: number } | null {
  const peaks = findPeaks(w, minHeightAdc, 2);
  if (peaks.length < 3) return null;
  const t = peaks.map((p) => parabolicPeak(w, p));
  const gaps = t
    .slice(1)
    .map((x, i) => x - t[i])
    .sort((a, b) => a - b);
  const d0 = gaps[gaps.length >> 1];
  // numbered from neighbour to neighbour: a slightly wrong d0 must not add up along 100 pulses
  const k = [0];
  for (let i = 1; i < t.length; i++) k.push(k[i - 1] + Math.max(1, Math.round((t[i] - t[i - 1]) / d0)));
  const n = t.length;
  const mk = k.reduce((a, b) => a + b, 0) / n;
  const mt = t.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (k[i] - mk) * (t[i] - mt);
    sxx += (k[i] - mk) ** 2;
  }
  if (!(sxx > 0)) return null;
  const spacingSamples = sxy / sxx;
  // the first maximum for the start: inside the train every maximum is pulled by the tails of
  // its neighbours (the line's intercept would carry that), the first has only a faint one
  return { t0: t[0], spacingSamples, pulses: k[n - 1] + 1 };
}

export interface DroopSummary {
  events: number;
  pulses: number;
  segments: number;
  /** charge per pulse of each segment over that of the second segment */
  relativeCharge: number[];
  droop: number;
}

export interface DroopAccumulator {
  pulses: number;
  segments: number;
  spacingSamples: number;
  /** Σ over events of each segment's charge (ADC·samples) */
  sums: Float64Array;
  events: number;
}

export function newDroopAccumulator(pulses: number, spacingSamples: number, segments = 10): DroopAccumulator {
  if (pulses < 2 * segments) throw new Error(`droop: ${pulses} pulses cannot fill ${segments} segments of at least 2 pulses`);
  return { pulses, segments, spacingSamples, sums: new Float64Array(segments), events: 0 };
}

/** Adds one waveform (`w` above baseline) whose first pulse is at `t1` samples. */
export function addDroopEvent(acc: DroopAccumulator, w: ArrayLike<number>, t1: number): void {
  const d = acc.spacingSamples;
  const per = acc.pulses / acc.segments;
  for (let s = 0; s < acc.segments; s++) {
    const first = Math.round(s * per);
    const last = Math.round((s + 1) * per) - 1;
    // the end segments reach 3 spacings beyond their outer pulse: nothing else is there
    const a = t1 + (s === 0 ? -3 : first - 0.5) * d;
    const b = t1 + (s === acc.segments - 1 ? last + 3 : last + 0.5) * d;
    acc.sums[s] += integrate(w, a, b) / (last - first + 1);
  }
  acc.events++;
}

export function summariseDroop(acc: DroopAccumulator): DroopSummary {
  const ref = acc.sums[1];
  const relativeCharge = Array.from(acc.sums, (x) => x / ref);
  return {
    events: acc.events,
    pulses: acc.pulses,
    segments: acc.segments,
    relativeCharge,
    droop: acc.events && ref > 0 ? 1 - acc.sums[acc.segments - 2] / ref : NaN,
  };
}

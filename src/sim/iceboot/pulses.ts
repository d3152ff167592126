import { doubled } from '../../util/grow.js';
import { ADC_MAX, drawDarkAmplitudePe, multiPeAmplitude, pulseShape } from '../physics.js';
import { fillNormal, fillNormalRounded } from '../normal-table.js';
import type { Rng } from '../rng.js';

/**
 * What one mainboard channel sees during a stretch of lab time, as pulses on the 240 MHz tick
 * grid (tick 0 = the board's power-on). Each source appends (tick, peak ADC above baseline) pairs;
 * `sort` orders them so triggers and waveforms can be found by time.
 */
export class PulseTrain {
  tick = new Float64Array(1024);
  amp = new Float64Array(1024);
  n = 0;

  clear(): void {
    this.n = 0;
  }

  add(tick: number, ampAdc: number): void {
    if (this.n === this.tick.length) {
      this.tick = doubled(this.tick);
      this.amp = doubled(this.amp);
    }
    this.tick[this.n] = tick;
    this.amp[this.n] = ampAdc;
    this.n++;
  }

  /** the buffers the last sort merged out of, kept for the next */
  private spareTick = new Float64Array(0);
  private spareAmp = new Float64Array(0);

  /**
   * Orders the pulses by tick, stably. Each source appends its pulses in time order, or nearly
   * (jitter can swap neighbours), so the train is a few ascending runs: they are merged pairwise
   * (a natural merge sort), in O(n log runs) and without a comparator call per pair, which a
   * general sort of an index took (most of the lab's time in a monitoring loop, bench/standard-fat.ts).
   */
  sort(): void {
    const n = this.n;
    let t = this.tick;
    let a = this.amp;
    let runs: number[] = [0];
    for (let i = 1; i < n; i++) if (t[i] < t[i - 1]) runs.push(i);
    if (runs.length === 1) return;
    if (this.spareTick.length < t.length) {
      this.spareTick = new Float64Array(t.length);
      this.spareAmp = new Float64Array(t.length);
    }
    let dt = this.spareTick;
    let da = this.spareAmp;
    while (runs.length > 1) {
      const merged: number[] = [];
      for (let k = 0; k < runs.length; k += 2) {
        const lo = runs[k];
        const mid = k + 1 < runs.length ? runs[k + 1] : n;
        const hi = k + 2 < runs.length ? runs[k + 2] : n;
        merged.push(lo);
        let i = lo;
        let j = mid;
        let o = lo;
        while (i < mid && j < hi) {
          if (t[j] < t[i]) {
            dt[o] = t[j];
            da[o++] = a[j++];
          } else {
            dt[o] = t[i];
            da[o++] = a[i++];
          }
        }
        for (; i < mid; i++, o++) {
          dt[o] = t[i];
          da[o] = a[i];
        }
        for (; j < hi; j++, o++) {
          dt[o] = t[j];
          da[o] = a[j];
        }
      }
      runs = merged;
      [t, dt] = [dt, t];
      [a, da] = [da, a];
    }
    this.tick = t;
    this.amp = a;
    this.spareTick = dt;
    this.spareAmp = da;
  }

  /** index of the first pulse at or after `tick` */
  lowerBound(tick: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tick[mid] < tick) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Poisson process of dark pulses in [fromTick, toTick) */
export function addDarkPulses(
  train: PulseTrain,
  rng: Rng,
  fromTick: number,
  toTick: number,
  ratePerTick: number,
  peakAdcPerPe: number,
  speResolution: number,
): void {
  if (!(ratePerTick > 0) || !(peakAdcPerPe > 0)) return;
  for (let t = fromTick + rng.exponential(ratePerTick); t < toTick; t += rng.exponential(ratePerTick)) {
    train.add(t, drawDarkAmplitudePe(rng, speResolution) * peakAdcPerPe);
  }
}

/** Baseline fluctuations that cross a low threshold, as tiny pulses just above it. */
export function addNoiseCrossings(
  train: PulseTrain,
  rng: Rng,
  fromTick: number,
  toTick: number,
  ratePerTick: number,
  excessAdc: number,
): void {
  if (!(ratePerTick > 0)) return;
  for (let t = fromTick + rng.exponential(ratePerTick); t < toTick; t += rng.exponential(ratePerTick)) {
    train.add(t, excessAdc + rng.exponential(1));
  }
}

/** Photoelectron pulses of light flashes with Poisson statistics (laser, flasher). */
export function addLightPulse(
  train: PulseTrain,
  rng: Rng,
  tick: number,
  meanPe: number,
  peakAdcPerPe: number,
  speResolution: number,
  saturationPe?: number,
): void {
  if (!(meanPe > 0) || !(peakAdcPerPe > 0)) return;
  const n = rng.poisson(meanPe);
  if (n > 0) train.add(tick, multiPeAmplitude(rng, n, speResolution, saturationPe) * peakAdcPerPe);
}

/**
 * Fills `out[0..n)` with the ADC samples of a window starting at `startTick`: baseline, white noise,
 * every pulse of the train that falls near the window, clipped to the 14-bit range.
 */
export function renderWindow(
  out: Float64Array,
  n: number,
  train: PulseTrain,
  startTick: number,
  baselineAdc: number,
  noiseAdc: number,
  rng: Rng,
): void {
  const first = train.lowerBound(startTick - 12);
  const endTick = startTick + n + 12;
  if (first >= train.n || train.tick[first] >= endTick) {
    // no pulse near the window (most baseline waveforms): noise and rounding in one pass
    fillNormalRounded(out, n, baselineAdc, noiseAdc, ADC_MAX, rng);
    return;
  }
  fillNormal(out, n, baselineAdc, noiseAdc, rng);
  for (let p = first; p < train.n && train.tick[p] < endTick; p++) {
    const pos = train.tick[p] - startTick;
    const a = train.amp[p];
    const lo = Math.max(0, Math.floor(pos - 8));
    const hi = Math.min(n, Math.ceil(pos + 12));
    for (let i = lo; i < hi; i++) out[i] += a * pulseShape(i - pos);
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(ADC_MAX, Math.max(0, Math.round(out[i])));
}

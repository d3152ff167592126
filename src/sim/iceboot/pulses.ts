import { doubled } from '../../util/grow.js';
import { ADC_MAX, drawDarkAmplitudePe, multiPeAmplitude, pulseShape } from '../physics.js';
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

  sort(): void {
    const idx = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) idx[i] = i;
    const t = this.tick;
    idx.sort((a, b) => t[a] - t[b]);
    const nt = new Float64Array(this.tick.length);
    const na = new Float64Array(this.amp.length);
    for (let i = 0; i < this.n; i++) {
      nt[i] = t[idx[i]];
      na[i] = this.amp[idx[i]];
    }
    this.tick = nt;
    this.amp = na;
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
  for (let i = 0; i < n; i++) out[i] = baselineAdc + rng.normal(0, noiseAdc);
  const first = train.lowerBound(startTick - 12);
  const endTick = startTick + n + 12;
  for (let p = first; p < train.n && train.tick[p] < endTick; p++) {
    const pos = train.tick[p] - startTick;
    const a = train.amp[p];
    const lo = Math.max(0, Math.floor(pos - 8));
    const hi = Math.min(n, Math.ceil(pos + 12));
    for (let i = lo; i < hi; i++) out[i] += a * pulseShape(i - pos);
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(ADC_MAX, Math.max(0, Math.round(out[i])));
}

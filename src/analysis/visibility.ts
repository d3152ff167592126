/**
 * Can a PMT see the laser? (check_laser_visibility.py) Triggers caused by the laser are locked to
 * its period: they follow each other by whole laser periods, while dark pulses come at random. A PMT sees the laser when at least half of the laser shots during the
 * acquisition gave a phase-locked trigger (the original's laser-frequency mask and "Efficiency").
 * This holds at any gain, even when dark pulses cross the threshold far more often than the laser.
 */
import { TICKS_PER_SECOND } from './laser-sync.js';

/** Charge of one photoelectron at gain 1e7, in pC. */
export const SPE_CHARGE_PC_AT_1E7 = 1.602;
/** ADC count to volts, and the front-end impedance: charge per ADC count per sample, in pC. */
export const ADC_VOLTS = 0.075e-3;
export const SAMPLE_S = 1 / 240e6;
export const IMPEDANCE_OHM = 36.96;
export const PC_PER_ADC_SAMPLE = (ADC_VOLTS * SAMPLE_S * 1e12) / IMPEDANCE_OHM;

export interface VisibilityResult {
  events: number;
  /** triggers locked to the laser period */
  laserEvents: number;
  /** laser shots during the acquisition */
  laserShots: number;
  /** laserEvents / laserShots */
  efficiency: number;
  /** triggers that were not laser-locked, per second */
  darkRateHz: number;
  visible: boolean;
  /** mean charge of the laser-locked triggers */
  meanChargePc: number;
  /** photoelectrons at gain 1e7 (charge / 1.602 pC), as the original reported */
  meanNpe: number;
}

/** How far from a whole number of laser periods a trigger may be and still count as the laser's (its jitter is ns). */
export const LASER_PHASE_WINDOW_S = 0.5e-6;
export const MIN_EFFICIENCY = 0.5;
export const MIN_LASER_EVENTS = 5;

/**
 * Charge of each waveform: Σ(ADC − baseline) over samples [13, 28], as `wfana.get_charges`.
 * `adc` holds `count` records of `samples` samples, record-major.
 */
export function waveformCharges(adc: Uint16Array, count: number, samples: number, baseline: number, first = 13, width = 15): Float64Array {
  const out = new Float64Array(count);
  const last = Math.min(samples, first + width + 1);
  for (let r = 0; r < count; r++) {
    let s = 0;
    const off = r * samples;
    for (let i = first; i < last; i++) s += adc[off + i] - baseline;
    out[r] = s * PC_PER_ADC_SAMPLE;
  }
  return out;
}

/** Mean of the first `n` samples over all records: the baseline seen by these waveforms. */
export function meanBaseline(adc: Uint16Array, count: number, samples: number, n = 10): number {
  let s = 0;
  for (let r = 0; r < count; r++) for (let i = 0; i < n; i++) s += adc[r * samples + i];
  return count ? s / (count * n) : NaN;
}

/**
 * Which triggers are locked to the laser: those with another trigger one or two laser periods
 * before AND one or two periods after, within the jitter window. Asking for both neighbours makes
 * chance coincidences of dark pulses rare even when they outnumber the laser shots a hundred to
 * one; comparing neighbours rather than phases over the whole acquisition tolerates the ppm drift
 * between the generator's and the mainboard's clocks.
 */
export function laserLockedMask(timestampsTicks: Float64Array, laserHz: number, windowS = LASER_PHASE_WINDOW_S): Uint8Array {
  const n = timestampsTicks.length;
  const period = TICKS_PER_SECOND / laserHz;
  const tol = windowS * TICKS_PER_SECOND;
  const reach = 2 * period + tol;
  const before = new Uint8Array(n);
  const after = new Uint8Array(n);
  for (let i = 1, first = 0; i < n; i++) {
    while (timestampsTicks[i] - timestampsTicks[first] > reach) first++;
    for (let j = first; j < i; j++) {
      const dt = timestampsTicks[i] - timestampsTicks[j];
      const k = Math.round(dt / period);
      if (k >= 1 && Math.abs(dt - k * period) <= tol) {
        before[i] = 1;
        after[j] = 1;
      }
    }
  }
  // at the two ends of the acquisition one neighbour cannot have been recorded: one side suffices
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const atStart = timestampsTicks[i] - timestampsTicks[0] < reach;
    const atEnd = timestampsTicks[n - 1] - timestampsTicks[i] < reach;
    mask[i] = (before[i] || atStart) && (after[i] || atEnd) && (before[i] || after[i]) ? 1 : 0;
  }
  return mask;
}

/**
 * `blockStarts` lists where each separately read block begins: time between two reads is not
 * covered (the module drops what comes while nobody reads), so laser shots are counted within
 * blocks only.
 */
export function analyseVisibility(
  timestampsTicks: Float64Array,
  charges: Float64Array,
  laserHz: number,
  blockStarts: number[] = [0],
): VisibilityResult {
  const n = timestampsTicks.length;
  const bounds = [...blockStarts.filter((b) => b > 0 && b < n), n];
  let laserShots = 0;
  let spanS = 0;
  let locked = 0;
  let q = 0;
  for (let b = 0, start = 0; b < bounds.length; start = bounds[b++]) {
    const ts = timestampsTicks.subarray(start, bounds[b]);
    if (!ts.length) continue;
    const span = (ts[ts.length - 1] - ts[0]) / TICKS_PER_SECOND;
    spanS += span;
    laserShots += Math.round(span * laserHz) + 1;
    const mask = laserLockedMask(ts, laserHz);
    for (let i = 0; i < ts.length; i++) {
      if (mask[i]) {
        locked++;
        q += charges[start + i];
      }
    }
  }
  laserShots = Math.max(1, laserShots);
  const efficiency = Math.min(1, locked / laserShots);
  const meanChargePc = locked ? q / locked : 0;
  return {
    events: n,
    laserEvents: locked,
    laserShots,
    efficiency,
    darkRateHz: spanS > 0 ? (n - locked) / spanS : 0,
    visible: locked >= MIN_LASER_EVENTS && efficiency >= MIN_EFFICIENCY,
    meanChargePc,
    meanNpe: meanChargePc / SPE_CHARGE_PC_AT_1E7,
  };
}

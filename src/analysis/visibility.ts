/**
 * Can a PMT see the laser? (check_laser_visibility.py) With the trigger threshold well above the
 * dark-pulse heights, a PMT that sees the laser triggers once per shot: the mean spacing of its
 * waveforms is the laser period. A PMT whose fibre carries no light triggers only on rare large
 * dark pulses, far less often. Pass: mean spacing below 15 ms at a 100 Hz laser.
 */
import { TICKS_PER_SECOND } from './laser-sync.js';

export const VISIBLE_MAX_MEAN_DT_S = 0.015;
/** Charge of one photoelectron at gain 1e7, in pC. */
export const SPE_CHARGE_PC_AT_1E7 = 1.602;
/** ADC count to volts, and the front-end impedance: charge per ADC count per sample, in pC. */
export const ADC_VOLTS = 0.075e-3;
export const SAMPLE_S = 1 / 240e6;
export const IMPEDANCE_OHM = 36.96;
export const PC_PER_ADC_SAMPLE = (ADC_VOLTS * SAMPLE_S * 1e12) / IMPEDANCE_OHM;

export interface VisibilityResult {
  events: number;
  meanDtS: number;
  rateHz: number;
  visible: boolean;
  meanChargePc: number;
  /** photoelectrons at gain 1e7 (charge / 1.602 pC), as the original reported */
  meanNpe: number;
}

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

export function analyseVisibility(timestampsTicks: Float64Array, charges: Float64Array): VisibilityResult {
  const n = timestampsTicks.length;
  const spanS = n > 1 ? (timestampsTicks[n - 1] - timestampsTicks[0]) / TICKS_PER_SECOND : Infinity;
  const meanDtS = n > 1 ? spanS / (n - 1) : Infinity;
  let q = 0;
  for (const c of charges) q += c;
  const meanChargePc = charges.length ? q / charges.length : 0;
  return {
    events: n,
    meanDtS,
    rateHz: Number.isFinite(meanDtS) && meanDtS > 0 ? 1 / meanDtS : 0,
    visible: meanDtS < VISIBLE_MAX_MEAN_DT_S,
    meanChargePc,
    meanNpe: meanChargePc / SPE_CHARGE_PC_AT_1E7,
  };
}

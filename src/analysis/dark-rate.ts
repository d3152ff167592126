/**
 * Dark rate from scaler windows (measure_scaler, original-system.md §6.4): pure functions over
 * typed arrays, no I/O.
 */

export const ADC_VOLTS_PER_COUNT = 0.075e-3;
/** the mainboard's FPGA clock: the scaler dead time is counted in its cycles */
export const FPGA_CLOCK_HZ = 240e6;
/** the dark-rate threshold in photoelectrons */
export const THRESHOLD_PE = 0.25;
/** SPE pulse height assumed when no gain analysis has filled SPEPeakHeight (48 ADC = 3.6 mV) */
export const DEFAULT_ADC_PER_PE = 48;
/** SPEPeakHeight outside this window means the gain analysis went wrong (the original raised) */
export const SPE_PEAK_HEIGHT_VALID_V = [1e-3, 10e-3] as const;

/**
 * Dead-time corrected rate of each window: count / (period − count·deadtime). A window whose
 * counts fill the whole period gives Infinity, not a negative rate.
 */
export function deadTimeCorrectedRates(counts: ArrayLike<number>, periodS: number, deadtimeS: number): Float64Array {
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const live = periodS - counts[i] * deadtimeS;
    out[i] = live > 0 ? counts[i] / live : Infinity;
  }
  return out;
}

export interface RateStats {
  meanHz: number;
  /** sample standard deviation over windows (n − 1) */
  stdHz: number;
  medianHz: number;
  windows: number;
}

export function median(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function rateStats(rates: ArrayLike<number>): RateStats {
  const n = rates.length;
  if (n === 0) return { meanHz: NaN, stdHz: NaN, medianHz: NaN, windows: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += rates[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (rates[i] - mean) ** 2;
  return { meanHz: mean, stdHz: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, medianHz: median(rates), windows: n };
}

export interface ScalerAnalysis extends RateStats {
  rates: Float64Array;
  medianCount: number;
}

/** Rates and their statistics from the raw counts of one PMT. */
export function analyseScaler(counts: ArrayLike<number>, periodS: number, deadtimeCycles: number): ScalerAnalysis {
  const rates = deadTimeCorrectedRates(counts, periodS, deadtimeCycles / FPGA_CLOCK_HZ);
  return { ...rateStats(rates), rates, medianCount: median(counts) };
}

export interface ScalerThreshold {
  /** ADC counts above the baseline */
  thresholdAdc: number;
  /** the SPE pulse height the threshold was derived from, in V */
  spePeakHeightV: number;
  /** true when SPEPeakHeight was unknown (-1) and DEFAULT_ADC_PER_PE was assumed */
  assumedSpe: boolean;
  note: string;
}

/**
 * The threshold above baseline for `fraction` PE: ceil(SPEPeakHeight·fraction / 0.075 mV), as the
 * original computed it. An unknown SPEPeakHeight (≤ 0, the -1 of a fresh D-Egg file) falls back to
 * 48 ADC per PE (3.6 mV) and says so; a height outside 1-10 mV is an error, as in the original.
 */
export function scalerThreshold(spePeakHeightV: number, fraction = THRESHOLD_PE): ScalerThreshold {
  if (!Number.isFinite(spePeakHeightV) || spePeakHeightV <= 0) {
    const v = DEFAULT_ADC_PER_PE * ADC_VOLTS_PER_COUNT;
    return {
      thresholdAdc: Math.ceil(DEFAULT_ADC_PER_PE * fraction - 1e-9),
      spePeakHeightV: v,
      assumedSpe: true,
      note: `SPEPeakHeight unknown: assumed ${DEFAULT_ADC_PER_PE} ADC per PE (${(v * 1e3).toFixed(1)} mV)`,
    };
  }
  const [lo, hi] = SPE_PEAK_HEIGHT_VALID_V;
  if (spePeakHeightV < lo || spePeakHeightV > hi)
    throw new RangeError(
      `SPEPeakHeight ${(spePeakHeightV * 1e3).toFixed(2)} mV is outside ${lo * 1e3}-${hi * 1e3} mV (should be around 3.6 mV): check the gain analysis`,
    );
  // the epsilon keeps 0.0036 V (exactly 12 ADC at 0.25 PE) from rounding up to 13 through float error
  const thresholdAdc = Math.ceil((spePeakHeightV * fraction) / ADC_VOLTS_PER_COUNT - 1e-9);
  return { thresholdAdc, spePeakHeightV, assumedSpe: false, note: `SPEPeakHeight ${(spePeakHeightV * 1e3).toFixed(2)} mV` };
}

/** The FIR trigger of the original: a two-sample sum, its threshold in 1/16 ADC units. */
export const FIR_COEFFICIENTS: readonly number[] = [...Array<number>(10).fill(0), 1, 1, ...Array<number>(4).fill(0)];
export const firThreshold = (thresholdAdc: number) => Math.trunc(thresholdAdc * 2) * 16;

export type TriggerType = 'fir' | 'adc';

export interface DarkRateWarning {
  /** typical upper end of a good module at this temperature */
  normalHz: number;
  /** above this, a person is told ("If > X Hz or consistently the same module, contact an expert") */
  warnHz: number;
  band: 'below -12 °C' | '-12 to 0 °C' | 'above 0 °C';
}

/** The warning levels of the original's monitoring (min_measure_scaler), by mainboard temperature. */
export function darkRateWarning(mainboardTempC: number, trigger: TriggerType): DarkRateWarning {
  const table = {
    fir: [
      [2600, 4000],
      [3300, 4800],
      [6500, 11000],
    ],
    adc: [
      [3500, 6000],
      [5000, 8000],
      [8200, 14000],
    ],
  } as const;
  const i = mainboardTempC < -12 ? 0 : mainboardTempC < 0 ? 1 : 2;
  const bands = ['below -12 °C', '-12 to 0 °C', 'above 0 °C'] as const;
  const [normalHz, warnHz] = table[trigger][i];
  return { normalHz, warnHz, band: bands[i] };
}

/** Baseline of one PMT: the median over waveforms of each waveform's mean (robust to dark pulses). */
export function medianOfWaveformMeans(adc: ArrayLike<number>, offsets: ArrayLike<number>, count: number): number {
  const means = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let s = 0;
    const a = offsets[r];
    const b = offsets[r + 1];
    for (let i = a; i < b; i++) s += adc[i];
    means[r] = b > a ? s / (b - a) : NaN;
  }
  return median(means.filter((x) => !Number.isNaN(x)));
}

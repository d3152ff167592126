/**
 * The flasher check of measure_baseline_flasher (original-system.md §6.9): each of the 12 LEDs of
 * the flasher ring is flashed alone at 10 bias settings while the lower PMT integrates charge over
 * a fixed window after the ICM calibration trigger. An LED "works" when its light is seen above
 * the dark level and grows with the bias:
 *
 * - lit: at the highest bias the mean charge exceeds the dark level (same trigger and window, LED
 *   board powered, no LED selected) by at least MIN_LIGHT_PE photoelectrons and by at least
 *   MIN_SIGNIFICANCE standard errors;
 * - rising: a straight line through the mean charge against the bias (weighted by the standard
 *   errors of the means) has a positive slope at least MIN_SIGNIFICANCE standard errors from zero.
 *
 * Charges are converted to photoelectrons with the SPE charge at the PMT's gain (1.602 pC at 1e7).
 */
export const FLASHER_LEDS = 12;
export const FLASHER_BIASES: readonly number[] = Array.from({ length: 10 }, (_, i) => 0x5000 + 1024 * i);
export const ledMask = (led: number) => 1 << (led - 1);
export const MIN_LIGHT_PE = 1;
export const MIN_SIGNIFICANCE = 5;
/** a floor on standard errors, so a perfectly quiet pedestal cannot make any wiggle significant */
const MIN_STDERR_PE = 0.02;

export interface ChargeStats {
  meanPe: number;
  stdPe: number;
  n: number;
  /** standard error of the mean */
  errPe: number;
}

export function chargeStats(chargesPc: ArrayLike<number>, speChargePc: number): ChargeStats {
  const n = chargesPc.length;
  if (!n) return { meanPe: NaN, stdPe: NaN, n: 0, errPe: NaN };
  let s = 0;
  for (let i = 0; i < n; i++) s += chargesPc[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (chargesPc[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { meanPe: mean / speChargePc, stdPe: std / speChargePc, n, errPe: Math.max(MIN_STDERR_PE, std / speChargePc / Math.sqrt(n)) };
}

export interface LedVerdict {
  /** 1..12 */
  led: number;
  mask: number;
  /** mean PE above the dark level, per bias setting */
  lightPe: number[];
  /** PE per 1024 bias steps, from the weighted straight line */
  slopePePerKiloBias: number;
  slopeErr: number;
  /** (mean at the highest bias - dark) / its standard error */
  significance: number;
  works: boolean;
  reason: string;
}

/** the weighted least-squares slope of y against x and its standard error */
function weightedSlope(x: readonly number[], y: readonly number[], err: readonly number[]): { slope: number; err: number } {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    const w = 1 / err[i] ** 2;
    sw += w;
    sx += w * x[i];
    sy += w * y[i];
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const w = 1 / err[i] ** 2;
    sxx += w * (x[i] - mx) ** 2;
    sxy += w * (x[i] - mx) * (y[i] - my);
  }
  return sxx > 0 ? { slope: sxy / sxx, err: 1 / Math.sqrt(sxx) } : { slope: NaN, err: NaN };
}

/** Judges one LED from its charge statistics per bias (in the order of `biases`) against the dark level. */
export function judgeLed(led: number, biases: readonly number[], perBias: readonly ChargeStats[], dark: ChargeStats): LedVerdict {
  if (perBias.length !== biases.length || biases.length < 2)
    throw new Error(`LED ${led}: ${perBias.length} settings for ${biases.length} biases`);
  const lightPe = perBias.map((s) => s.meanPe - dark.meanPe);
  const top = perBias[perBias.length - 1];
  const topLight = lightPe[lightPe.length - 1];
  const significance = topLight / Math.hypot(top.errPe, dark.errPe);
  const fit = weightedSlope(
    biases.map((b) => b / 1024),
    perBias.map((s) => s.meanPe),
    perBias.map((s) => s.errPe),
  );
  const lit = topLight >= MIN_LIGHT_PE && significance >= MIN_SIGNIFICANCE;
  const rising = fit.slope > 0 && fit.slope / fit.err >= MIN_SIGNIFICANCE;
  const at = `${topLight.toFixed(2)} PE above dark at bias 0x${biases[biases.length - 1].toString(16)}`;
  const reason =
    lit && rising
      ? `${at}, rising ${fit.slope.toFixed(2)} PE per 1024 bias steps`
      : !lit
        ? `no light: ${at} (needs >= ${MIN_LIGHT_PE} PE and ${MIN_SIGNIFICANCE} standard errors; ${significance.toFixed(1)})`
        : `light does not rise with bias: slope ${fit.slope.toFixed(3)} ± ${fit.err.toFixed(3)} PE per 1024 bias steps`;
  return {
    led,
    mask: ledMask(led),
    lightPe,
    slopePePerKiloBias: fit.slope,
    slopeErr: fit.err,
    significance,
    works: lit && rising,
    reason,
  };
}

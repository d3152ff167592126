/**
 * The gain law G = A·V^k and the online HV scan to gain 1e7 (measure_gain_online.py,
 * analyze_gain.estimate_next_point), as pure functions: the task measures, this decides.
 */

export const TARGET_GAIN = 1e7;
/** relative systematic added in quadrature to each gain point's error, as the original */
export const GAIN_SYSTEMATIC = 0.02;

export interface GainPoint {
  hvVolts: number;
  gain: number;
  /** 1σ statistical error of the gain; 0 or absent when unknown */
  gainError?: number;
}

export interface PowerLawFit {
  /** G = normA · V^exponent (the D-Egg JSON's GainFitNorm / GainFitExp) */
  normA: number;
  exponent: number;
  normAError: number;
  exponentError: number;
  /** covariance of (ln A, k) */
  covLnAK: number;
  chi2: number;
  ndf: number;
  /** V at gain 1e7 from the fit, NaN when the law does not rise with V */
  hvAt1e7Volts: number;
  hvAt1e7ErrorVolts: number;
}

/** V at which A·V^k = gain: (gain/A)^(1/k) */
export function hvForGain(normA: number, exponent: number, gain = TARGET_GAIN): number {
  if (!(normA > 0) || !(exponent > 0)) return NaN;
  return Math.exp((Math.log(gain) - Math.log(normA)) / exponent);
}

/**
 * Weighted least squares of ln G = ln A + k·ln V, each point's σ(ln G) = √((σG/G)² + 2%²).
 * The fit is done around the points' mean ln V so that the two parameters are nearly uncorrelated,
 * then carried back to A and its covariance with k.
 */
export function fitPowerLaw(points: readonly GainPoint[], systematic = GAIN_SYSTEMATIC): PowerLawFit {
  const usable = points.filter((p) => p.hvVolts > 0 && p.gain > 0 && Number.isFinite(p.gain));
  const n = usable.length;
  const nan: PowerLawFit = {
    normA: NaN,
    exponent: NaN,
    normAError: NaN,
    exponentError: NaN,
    covLnAK: NaN,
    chi2: NaN,
    ndf: n - 2,
    hvAt1e7Volts: NaN,
    hvAt1e7ErrorVolts: NaN,
  };
  if (n < 2) return nan;
  let sw = 0;
  let swx = 0;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const ws = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = usable[i];
    const rel = p.gainError && p.gainError > 0 ? p.gainError / p.gain : 0;
    const varLn = rel * rel + systematic * systematic;
    xs[i] = Math.log(p.hvVolts);
    ys[i] = Math.log(p.gain);
    ws[i] = varLn > 0 ? 1 / varLn : 1;
    sw += ws[i];
    swx += ws[i] * xs[i];
  }
  const x0 = swx / sw;
  let sxx = 0;
  let sy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - x0;
    sxx += ws[i] * dx * dx;
    sy += ws[i] * ys[i];
    sxy += ws[i] * dx * ys[i];
  }
  if (!(sxx > 0)) return nan;
  const k = sxy / sxx;
  const c = sy / sw; // ln G at x0
  const varK = 1 / sxx;
  const varC = 1 / sw;
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const r = ys[i] - (c + k * (xs[i] - x0));
    chi2 += ws[i] * r * r;
  }
  // ln A = c − k·x0; c and k are uncorrelated by construction
  const lnA = c - k * x0;
  const varLnA = varC + x0 * x0 * varK;
  const covLnAK = -x0 * varK;
  const normA = Math.exp(lnA);
  // ln V(1e7) = x0 + (ln 1e7 − c)/k
  const d = Math.log(TARGET_GAIN) - c;
  const lnV = x0 + d / k;
  const varLnV = varC / (k * k) + (d * d * varK) / (k * k * k * k);
  const hv = k > 0 ? Math.exp(lnV) : NaN;
  return {
    normA,
    exponent: k,
    normAError: normA * Math.sqrt(varLnA),
    exponentError: Math.sqrt(varK),
    covLnAK,
    chi2,
    ndf: n - 2,
    hvAt1e7Volts: hv,
    hvAt1e7ErrorVolts: hv * Math.sqrt(varLnV),
  };
}

// ---------------------------------------------------------------- online scan

export interface ScanOptions {
  /** first HV: the module's HV1e7Gain, 1500 V when that is unknown or ≤ 0 */
  startHvVolts?: number;
  minHvVolts?: number;
  maxHvVolts?: number;
  /** the fixed steps of the first points */
  stepVolts?: number;
  /** how many points use the fixed step before the power law takes over */
  stepPoints?: number;
  tolerance?: number;
  minPointsToConverge?: number;
  maxPoints?: number;
  /** how far beyond the measured HVs the power law may be trusted (brentq's bracket in the original) */
  extrapolateVolts?: number;
  /** HVs are set in whole steps of this */
  hvResolutionVolts?: number;
}

export const SCAN_DEFAULTS: Required<ScanOptions> = {
  startHvVolts: 1500,
  minHvVolts: 1050,
  maxHvVolts: 1950,
  stepVolts: 40,
  stepPoints: 4,
  tolerance: 0.02,
  minPointsToConverge: 5,
  maxPoints: 10,
  extrapolateVolts: 480,
  hvResolutionVolts: 1,
};

export type ScanDoneReason = 'converged' | 'repeated-hv' | 'unpredictable' | 'max-points';

export type ScanStep = { done: false; hvVolts: number } | { done: true; reason: ScanDoneReason; hvAt1e7Volts: number; fit: PowerLawFit };

/** options over the defaults; an option given as undefined keeps its default */
function withDefaults(opts: ScanOptions): Required<ScanOptions> {
  const o = { ...SCAN_DEFAULTS };
  for (const [k, v] of Object.entries(opts) as [keyof ScanOptions, number | undefined][]) if (v !== undefined) o[k] = v;
  return o;
}

/** the first HV of a scan: the stored HV at 1e7, or 1500 V when there is none */
export function scanStartHv(hv1e7GainVolts: number | undefined | null, opts: ScanOptions = {}): number {
  const o = withDefaults(opts);
  const v = hv1e7GainVolts && hv1e7GainVolts > 0 ? hv1e7GainVolts : SCAN_DEFAULTS.startHvVolts;
  const rounded = Math.round(v / o.hvResolutionVolts) * o.hvResolutionVolts;
  return Math.min(o.maxHvVolts, Math.max(o.minHvVolts, rounded));
}

/**
 * Given the points measured so far (in order), where to measure next or why to stop.
 * With no points it returns the start HV. When it stops, the HV at 1e7 comes from the power law
 * over all points (falling back to the last point's HV if the law cannot be fitted).
 */
export function nextScanHv(points: readonly GainPoint[], opts: ScanOptions = {}): ScanStep {
  const o = withDefaults(opts);
  if (points.length === 0) return { done: false, hvVolts: scanStartHv(opts.startHvVolts, o) };
  const last = points[points.length - 1];
  const stop = (reason: ScanDoneReason): ScanStep => {
    const fit = fitPowerLaw(points);
    // the law needs both HVs and a rising gain; otherwise the closest point is the best answer
    let hv = fit.hvAt1e7Volts;
    if (!Number.isFinite(hv)) hv = closestToTarget(points).hvVolts;
    return { done: true, reason, hvAt1e7Volts: hv, fit };
  };

  if (points.length >= o.minPointsToConverge && Math.abs(last.gain - TARGET_GAIN) / last.gain < o.tolerance) return stop('converged');
  if (points.length >= o.maxPoints) return stop('max-points');

  const settle = (v: number) => Math.min(o.maxHvVolts, Math.max(o.minHvVolts, Math.round(v / o.hvResolutionVolts) * o.hvResolutionVolts));
  const measured = (v: number) => points.some((p) => Math.abs(p.hvVolts - v) < o.hvResolutionVolts / 2);
  // the power law's V(1e7), trusted only as far beyond the measured HVs as the original's brentq bracket
  const predict = (): number => {
    let vmin = Infinity;
    let vmax = -Infinity;
    for (const p of points) {
      vmin = Math.min(vmin, p.hvVolts);
      vmax = Math.max(vmax, p.hvVolts);
    }
    const v = fitPowerLaw(points).hvAt1e7Volts;
    return v >= Math.max(1000, vmin - o.extrapolateVolts) && v <= Math.min(2000, vmax + o.extrapolateVolts) ? v : NaN;
  };

  // fixed steps until 1e7 is bracketed (or the step points are used up), then the law's prediction
  const bracketed = points.some((p) => p.gain < TARGET_GAIN) && points.some((p) => p.gain >= TARGET_GAIN);
  let next: number;
  if (points.length < o.stepPoints && !bracketed) {
    next = settle(last.hvVolts + (last.gain < TARGET_GAIN ? o.stepVolts : -o.stepVolts));
  } else {
    const v = predict();
    if (!Number.isFinite(v)) return stop('unpredictable');
    next = settle(v);
  }
  if (measured(next)) return stop('repeated-hv');
  return { done: false, hvVolts: next };
}

function closestToTarget(points: readonly GainPoint[]): GainPoint {
  let best = points[0];
  for (const p of points) if (Math.abs(Math.log(p.gain / TARGET_GAIN)) < Math.abs(Math.log(best.gain / TARGET_GAIN))) best = p;
  return best;
}

// ---------------------------------------------------------------- trigger-rate check

/** below this trigger rate at 25 ADC the HV is too low: mostly muons, no SPE peak */
export const MIN_SCAN_RATE_HZ = 200;
export const LOW_RATE_STEP_VOLTS = 200;
export const LOW_RATE_MAX_HV_VOLTS = 2000;

export function rateTooLow(rateHz: number): boolean {
  return !(rateHz >= MIN_SCAN_RATE_HZ);
}

export type RateAction = { action: 'ok' } | { action: 'raise'; hvVolts: number } | { action: 'give-up'; reason: string };

/**
 * What to do about the trigger rate seen at `hvVolts`. `lowRateHvs` are the HVs at which the
 * rate was already too low in this scan: the same HV failing twice gives up, as the original did.
 */
export function lowRateAction(rateHz: number, hvVolts: number, lowRateHvs: readonly number[] = []): RateAction {
  if (!rateTooLow(rateHz)) return { action: 'ok' };
  if (lowRateHvs.some((v) => Math.abs(v - hvVolts) < 0.5))
    return {
      action: 'give-up',
      reason: `trigger rate ${rateHz.toFixed(0)} Hz is below ${MIN_SCAN_RATE_HZ} Hz a second time at ${hvVolts.toFixed(0)} V: check the PMT's HV and the trigger threshold`,
    };
  return { action: 'raise', hvVolts: Math.min(LOW_RATE_MAX_HV_VOLTS, hvVolts + LOW_RATE_STEP_VOLTS) };
}

/**
 * PMT linearity (measure_linearity.py): the laser through the two filter wheels at 10 settings;
 * observed photoelectrons against those expected from a low setting scaled by the transmissions.
 */
import { SPE_CHARGE_PC_AT_1E7 } from './visibility.js';

/** the original's 10 (wheel 0, wheel 1) strengths, in measuring order; effective transmission s0·s1 */
export const LINEARITY_FILTER_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [1.0, 0.01],
  [0.05, 0.5],
  [0.05, 1.0],
  [1.0, 0.1],
  [0.25, 0.5],
  [0.32, 0.5],
  [0.25, 1.0],
  [0.32, 1.0],
  [1.0, 0.5],
  [1.0, 1.0],
];
/** ADC trigger thresholds over baseline per setting, same order */
export const LINEARITY_THRESHOLDS_ADC = [40, 95, 280, 600, 650, 700, 1150, 1200, 1600, 2100];
export const LINEARITY_REFERENCE_PE = 200;

export interface LinearityPoint {
  transmission: number;
  observedPe: number;
  expectedPe: number;
  /** observed / expected */
  ratio: number;
}

export interface LinearityResult {
  points: LinearityPoint[];
  /** index (into the inputs) of the setting the expectation is scaled from */
  referenceIndex: number;
  /** observed/expected at `atPe` expected PE, interpolated in ln(expected); NaN when out of range */
  ratioAtPe: number;
  atPe: number;
}

/** photoelectrons from mean charge, at the SPE charge the PMT was set to (1.602 pC at gain 1e7) */
export function chargeToPe(chargePc: number, speChargePc = SPE_CHARGE_PC_AT_1E7): number {
  return chargePc / speChargePc;
}

export interface LinearityOptions {
  /** the setting taken as linear; default the one with the lowest transmission */
  referenceIndex?: number;
  /**
   * several settings taken as linear instead of one: the PE per unit transmission is
   * Σ observed / Σ transmission over them (referenceIndex then only labels the result)
   */
  calibrationIndices?: readonly number[];
  atPe?: number;
}

/**
 * `transmission[i]` and `observedPe[i]` per setting (any order). Expected PE of setting i =
 * observed PE at the reference × transmission[i] / transmission[reference].
 */
export function analyseLinearity(
  transmission: ArrayLike<number>,
  observedPe: ArrayLike<number>,
  opts: LinearityOptions = {},
): LinearityResult {
  const n = transmission.length;
  if (observedPe.length !== n) throw new Error(`analyseLinearity: ${n} transmissions but ${observedPe.length} observations`);
  const atPe = opts.atPe ?? LINEARITY_REFERENCE_PE;
  let ref = opts.referenceIndex ?? -1;
  if (ref < 0) {
    for (let i = 0; i < n; i++) if (transmission[i] > 0 && (ref < 0 || transmission[i] < transmission[ref])) ref = i;
  }
  if (ref < 0 || ref >= n) return { points: [], referenceIndex: ref, ratioAtPe: NaN, atPe };
  let perUnit = observedPe[ref] / transmission[ref];
  if (opts.calibrationIndices?.length) {
    let obs = 0;
    let t = 0;
    for (const i of opts.calibrationIndices) {
      if (i < 0 || i >= n) throw new Error(`analyseLinearity: calibration index ${i} is not one of the ${n} settings`);
      obs += observedPe[i];
      t += transmission[i];
    }
    perUnit = t > 0 ? obs / t : NaN;
  }
  const points: LinearityPoint[] = [];
  for (let i = 0; i < n; i++) {
    const expectedPe = perUnit * transmission[i];
    points.push({
      transmission: transmission[i],
      observedPe: observedPe[i],
      expectedPe,
      ratio: expectedPe > 0 ? observedPe[i] / expectedPe : NaN,
    });
  }
  return { points, referenceIndex: ref, ratioAtPe: ratioAt(points, atPe), atPe };
}

function ratioAt(points: readonly LinearityPoint[], atPe: number): number {
  const s = points.filter((p) => p.expectedPe > 0 && Number.isFinite(p.ratio)).sort((a, b) => a.expectedPe - b.expectedPe);
  for (let i = 0; i < s.length; i++) if (s[i].expectedPe === atPe) return s[i].ratio;
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1];
    const b = s[i];
    if (a.expectedPe < atPe && atPe < b.expectedPe) {
      const t = Math.log(atPe / a.expectedPe) / Math.log(b.expectedPe / a.expectedPe);
      return a.ratio + t * (b.ratio - a.ratio);
    }
  }
  return NaN;
}

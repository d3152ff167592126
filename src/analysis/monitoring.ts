/**
 * The checks of the quick online monitoring (monitoring/bolt.py, original-system.md §6.12): HV
 * readback against its set point, supply currents against their limits, the power drawn, and the
 * dark-rate summary of its FIR scalers. Pure functions over the readings.
 */

/** |HV − HV1e7Gain| within this is "HV Val: OK" */
export const HV_MAX_DEVIATION_V = 150;
export const HV_MAX_V = 2000;
/** std / mean within this is "HV Std: OK" */
export const HV_MAX_REL_STD = 0.02;
/** bolt flags dark rates at or above this */
export const BOLT_DARK_RATE_FLAG_HZ = 2600;

/** Supply rails in slow-ADC order: current channel 0-4 and the voltage channel of the same rail. */
export const SUPPLY_RAILS = [
  { name: '1.1 V', currentChannel: 0, voltageChannel: 12, maxMa: 1000 },
  { name: '1.35 V', currentChannel: 1, voltageChannel: 13, maxMa: 400 },
  { name: '1.8 V', currentChannel: 2, voltageChannel: 5, maxMa: 400 },
  { name: '2.5 V', currentChannel: 3, voltageChannel: 14, maxMa: 500 },
  { name: '3.3 V', currentChannel: 4, voltageChannel: 15, maxMa: 300 },
] as const;

function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = xs.length ? s / xs.length : NaN;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: xs.length > 1 ? Math.sqrt(v / (xs.length - 1)) : 0 };
}

export interface HvCheck {
  meanV: number;
  stdV: number;
  relStd: number;
  deviationV: number;
  valOk: boolean;
  stdOk: boolean;
}

export function hvCheck(readbacksV: ArrayLike<number>, setPointV: number): HvCheck {
  const { mean, std } = meanStd(readbacksV);
  const relStd = mean > 0 ? std / mean : Infinity;
  const deviationV = Math.abs(mean - setPointV);
  return {
    meanV: mean,
    stdV: std,
    relStd,
    deviationV,
    valOk: deviationV <= HV_MAX_DEVIATION_V && mean > 0 && mean <= HV_MAX_V,
    stdOk: relStd <= HV_MAX_REL_STD,
  };
}

export interface CurrentFail {
  rail: string;
  valueMa: number;
  maxMa: number;
}

export interface CurrentCheck {
  /** readings checked (reads × rails) and how many were within their limit */
  checks: number;
  ok: number;
  fails: CurrentFail[];
  /** Σ I·V over the rails, per read, in W */
  powerW: Float64Array;
}

/** `reads[i][ch]` is slow-ADC channel `ch` (0-15) of read i. */
export function currentCheck(reads: ReadonlyArray<ArrayLike<number>>): CurrentCheck {
  const fails: CurrentFail[] = [];
  const powerW = new Float64Array(reads.length);
  let checks = 0;
  reads.forEach((r, i) => {
    let p = 0;
    for (const rail of SUPPLY_RAILS) {
      const ma = r[rail.currentChannel];
      checks++;
      if (!(ma <= rail.maxMa)) fails.push({ rail: rail.name, valueMa: ma, maxMa: rail.maxMa });
      p += ma * r[rail.voltageChannel];
    }
    powerW[i] = p / 1000;
  });
  return { checks, ok: checks - fails.length, fails, powerW };
}

export interface DarkRateSummary {
  meanHz: number;
  stdHz: number;
  n: number;
  nAbove: number;
  flagHz: number;
}

export function darkRateSummary(ratesHz: ArrayLike<number>, flagHz = BOLT_DARK_RATE_FLAG_HZ): DarkRateSummary {
  const { mean, std } = meanStd(ratesHz);
  let above = 0;
  for (let i = 0; i < ratesHz.length; i++) if (ratesHz[i] > flagHz) above++;
  return { meanHz: mean, stdHz: std, n: ratesHz.length, nAbove: above, flagHz };
}

export { meanStd };

/**
 * Does the tabletop board see the laser sync at the expected frequency? (check_laser_freq.py)
 * The board's charge stamps on channel 0 are one per laser shot; their spacing must be the laser
 * period: at least all but one interval within 1% of 1/f.
 */
export const TICKS_PER_SECOND = 240e6;

export interface LaserSyncResult {
  stamps: number;
  intervals: number;
  withinTolerance: number;
  required: number;
  expectedPeriodMs: number;
  medianPeriodMs: number;
  pass: boolean;
}

export function analyseLaserSync(timestampsTicks: Float64Array, frequencyHz: number, tolerance = 0.01): LaserSyncResult {
  const n = timestampsTicks.length;
  const expected = 1 / frequencyHz;
  const dts = new Float64Array(Math.max(0, n - 1));
  let ok = 0;
  for (let i = 1; i < n; i++) {
    const dt = (timestampsTicks[i] - timestampsTicks[i - 1]) / TICKS_PER_SECOND;
    dts[i - 1] = dt;
    if (Math.abs(dt - expected) <= tolerance * expected) ok++;
  }
  const sorted = dts.slice().sort();
  const median = sorted.length ? sorted[sorted.length >> 1] : NaN;
  const required = Math.max(1, n - 1);
  return {
    stamps: n,
    intervals: dts.length,
    withinTolerance: ok,
    required,
    expectedPeriodMs: expected * 1e3,
    medianPeriodMs: median * 1e3,
    pass: n > 1 && ok >= required,
  };
}

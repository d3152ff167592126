/**
 * Δt between successive dark triggers of one PMT (measure_dt.py, original-system.md §6.5): the
 * trigger rate and how many pairs come closer together than Poisson arrivals would (correlated
 * noise: afterpulses, scintillation bursts in the glass).
 */
export const FPGA_CLOCK_HZ = 240e6;
/** pairs closer than this count as "short" (afterpulses arrive within about 10 µs) */
export const SHORT_DT_S = 10e-6;

export interface DeltaTAnalysis {
  events: number;
  /** Δt between successive triggers within a stretch of live time, in s */
  dtS: Float64Array;
  /** triggers per second of live time */
  rateHz: number;
  medianDtS: number;
  minDtS: number;
  shortWindowS: number;
  /** fraction of pairs with Δt < shortWindowS */
  shortFraction: number;
  /** what Poisson arrivals at `rateHz` after the shortest Δt (the dead time) would give */
  poissonShortFraction: number;
  /** shortFraction − poissonShortFraction, floored at 0 */
  correlatedFraction: number;
}

/**
 * `segmentStarts`: indices where a new stretch of live time begins (a new read-out block whose
 * first trigger may follow a gap the FPGA did not record); Δt is taken within stretches only.
 */
export function analyseDeltaT(
  timestampsTicks: ArrayLike<number>,
  shortWindowS = SHORT_DT_S,
  clockHz = FPGA_CLOCK_HZ,
  segmentStarts: readonly number[] = [],
): DeltaTAnalysis {
  const n = timestampsTicks.length;
  if (n < 2) throw new Error(`Δt needs at least 2 triggers, got ${n}`);
  const starts = new Set(segmentStarts);
  const all = new Float64Array(n - 1);
  let k = 0;
  let min = Infinity;
  let short = 0;
  let liveS = 0;
  for (let i = 1; i < n; i++) {
    if (starts.has(i)) continue;
    const d = (timestampsTicks[i] - timestampsTicks[i - 1]) / clockHz;
    if (!(d > 0)) throw new Error(`timestamps must increase: trigger ${i} is at or before trigger ${i - 1}`);
    all[k++] = d;
    liveS += d;
    if (d < min) min = d;
    if (d < shortWindowS) short++;
  }
  if (!k) throw new Error(`Δt needs two triggers in one stretch of live time, got ${n} triggers in ${starts.size + 1} stretches`);
  const dt = all.slice(0, k);
  const rateHz = k / liveS;
  const sorted = Float64Array.from(dt).sort();
  const m = sorted.length;
  const medianDtS = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const shortFraction = short / k;
  // live time after the dead time; the rate of the undisturbed process is rate / (1 − rate·τ)
  const tau = Math.min(min, shortWindowS);
  const trueRate = rateHz / Math.max(1e-9, 1 - rateHz * tau);
  const poissonShortFraction = 1 - Math.exp(-trueRate * Math.max(0, shortWindowS - tau));
  return {
    events: n,
    dtS: dt,
    rateHz,
    medianDtS,
    minDtS: min,
    shortWindowS,
    shortFraction,
    poissonShortFraction,
    correlatedFraction: Math.max(0, shortFraction - poissonShortFraction),
  };
}

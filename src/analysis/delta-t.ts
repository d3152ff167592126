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
  /** Δt between successive triggers, in s (events − 1 values) */
  dtS: Float64Array;
  /** triggers per second over the span of the timestamps */
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

export function analyseDeltaT(timestampsTicks: ArrayLike<number>, shortWindowS = SHORT_DT_S, clockHz = FPGA_CLOCK_HZ): DeltaTAnalysis {
  const n = timestampsTicks.length;
  if (n < 2) throw new Error(`Δt needs at least 2 triggers, got ${n}`);
  const dt = new Float64Array(n - 1);
  let min = Infinity;
  let short = 0;
  for (let i = 1; i < n; i++) {
    const d = (timestampsTicks[i] - timestampsTicks[i - 1]) / clockHz;
    if (!(d > 0)) throw new Error(`timestamps must increase: trigger ${i} is at or before trigger ${i - 1}`);
    dt[i - 1] = d;
    if (d < min) min = d;
    if (d < shortWindowS) short++;
  }
  const spanS = (timestampsTicks[n - 1] - timestampsTicks[0]) / clockHz;
  const rateHz = (n - 1) / spanS;
  const sorted = Float64Array.from(dt).sort();
  const m = sorted.length;
  const medianDtS = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const shortFraction = short / (n - 1);
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

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

/** How far from a fitted shot time a trigger may be and count as the laser's (jitter is ns). */
export const SHOT_GATE_S = 50e-9;

/** The laser's shot times t = a + b·k (ticks). */
export interface ShotGrid {
  a: number;
  b: number;
}

/**
 * The laser's shot times over the whole acquisition: of the lines through two seeds (triggers the
 * neighbour test found whole periods from another), the one most seeds lie on, refined by least
 * squares. One grid for every block, since the mainboard's clock runs on between reads: at a high
 * dark rate a block spans only a few periods, and the neighbour test alone then takes dark pulses
 * that happen to lie a period apart (in most blocks) for the laser; on the grid they do not lie.
 */
function shotGrid(ts: Float64Array, seeds: readonly number[], period: number): ShotGrid | null {
  const gate = SHOT_GATE_S * TICKS_PER_SECOND;
  const onGrid = (t: number, g: ShotGrid) => Math.abs(t - g.a - Math.round((t - g.a) / g.b) * g.b) <= gate;
  const m = seeds.length;
  // every seed with a few partners spread over the acquisition: the far ones pin the period down
  const step = Math.max(1, Math.floor(m / 8));
  let best: ShotGrid | null = null;
  let bestCount = 1;
  for (let x = 0; x < m; x++) {
    for (let y = x + 1; y < m; y += step) {
      const dt = ts[seeds[y]] - ts[seeds[x]];
      const k = Math.round(dt / period);
      // the generator's and the mainboard's clocks agree to far better than 1e-4
      if (k < 1 || Math.abs(dt / k / period - 1) > 1e-4) continue;
      const g = { a: ts[seeds[x]], b: dt / k };
      let count = 0;
      for (const s of seeds) if (onGrid(ts[s], g)) count++;
      if (count > bestCount) [best, bestCount] = [g, count];
    }
  }
  if (!best) return null;
  return refitShotGrid(
    ts,
    seeds.filter((s) => onGrid(ts[s], best)),
    best,
  );
}

/**
 * The least-squares line t = a + b·k through the triggers `idx` of `ts` (not empty), each numbered
 * by its nearest shot k on the grid `g`; where all have one number, the period stays g.b.
 */
export function refitShotGrid(ts: Float64Array, idx: readonly number[], g: ShotGrid): ShotGrid {
  const k = idx.map((i) => Math.round((ts[i] - g.a) / g.b));
  const mk = k.reduce((x, y) => x + y, 0) / k.length;
  const mt = idx.reduce((x, i) => x + ts[i], 0) / idx.length;
  let sxy = 0;
  let sxx = 0;
  idx.forEach((i, j) => {
    sxy += (k[j] - mk) * (ts[i] - mt);
    sxx += (k[j] - mk) ** 2;
  });
  const b = sxx > 0 ? sxy / sxx : g.b;
  return { a: mt - b * mk, b };
}

/**
 * `blockStarts` lists where each separately read block begins: time between two reads is not
 * covered (the module drops what comes while nobody reads), so laser shots are counted within
 * blocks only. A trigger on the laser's shot grid is the laser's; with the dead time after each
 * trigger that is at most one per shot, so the laser-locked triggers never outnumber the shots.
 */
export function analyseVisibility(
  timestampsTicks: Float64Array,
  charges: Float64Array,
  laserHz: number,
  blockStarts: number[] = [0],
): VisibilityResult {
  const n = timestampsTicks.length;
  const period = TICKS_PER_SECOND / laserHz;
  const gate = SHOT_GATE_S * TICKS_PER_SECOND;
  const bounds = [...new Set([...blockStarts.filter((b) => b > 0 && b < n), n])].sort((a, b) => a - b);
  const blocks: Array<[number, number]> = [];
  const seeds: number[] = [];
  for (let b = 0, start = 0; b < bounds.length; start = bounds[b++]) {
    if (start === bounds[b]) continue;
    blocks.push([start, bounds[b]]);
    laserLockedMask(timestampsTicks.subarray(start, bounds[b]), laserHz).forEach((m, i) => m && seeds.push(start + i));
  }
  const grid = shotGrid(timestampsTicks, seeds, period);
  let shots = 0;
  let spanS = 0;
  let locked = 0;
  let q = 0;
  for (const [start, end] of blocks) {
    const first = timestampsTicks[start];
    const last = timestampsTicks[end - 1];
    spanS += (last - first) / TICKS_PER_SECOND;
    if (!grid) {
      shots += Math.round((last - first) / period) + 1;
      continue;
    }
    shots += Math.floor((last - grid.a + gate) / grid.b) - Math.ceil((first - grid.a - gate) / grid.b) + 1;
    for (let i = start; i < end; i++) {
      const t = timestampsTicks[i];
      if (Math.abs(t - grid.a - Math.round((t - grid.a) / grid.b) * grid.b) <= gate) {
        locked++;
        q += charges[i];
      }
    }
  }
  const laserShots = Math.max(1, shots);
  const efficiency = locked / laserShots;
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

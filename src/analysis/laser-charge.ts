/**
 * The light of a laser setting from threshold-triggered waveforms (measure_linearity.py): the
 * triggers locked to the laser period are the laser's (the rest are dark pulses), and the mean
 * charge is taken per laser SHOT, not per trigger. At the lowest settings a few PE per shot leave
 * some shots without a trigger (no photoelectron, or one below the threshold); averaging over the
 * triggers alone would overstate their light by up to 10% and bias every expected PE scaled from
 * them. Shots are counted within separately read blocks (reads leave gaps that are not covered).
 */
import { TICKS_PER_SECOND } from './laser-sync.js';
import { laserLockedMask, refitShotGrid, SPE_CHARGE_PC_AT_1E7 } from './visibility.js';

export interface LaserCharge {
  triggers: number;
  /** triggers locked to the laser period */
  laserEvents: number;
  /** laser shots while the blocks were being recorded */
  laserShots: number;
  /** Σ charge of the laser-locked triggers / laser shots */
  meanChargePerShotPc: number;
  /** mean and std of the charge of the laser-locked triggers */
  meanChargeLockedPc: number;
  stdChargeLockedPc: number;
  /** meanChargePerShotPc / 1.602 pC */
  meanPe: number;
  /** 1 for a laser-locked trigger */
  mask: Uint8Array;
}

/** How far from the fitted shot time a trigger may be and count as the laser's (jitter is ns). */
export const LASER_GATE_S = 50e-9;

export interface BlockGate {
  /** 1 for a trigger within LASER_GATE_S of a shot time */
  mask: Uint8Array;
  /** shot times within [first, last trigger] */
  shots: number;
}

/**
 * The laser's triggers in one block: the neighbour test of laserLockedMask (a trigger whole
 * periods from another) finds some, a straight line through their times against their shot
 * numbers gives every shot time of the block (the generator's clock may drift against the
 * mainboard's by ppm), and every trigger within LASER_GATE_S of a shot time is the laser's. The
 * neighbour test alone, in short blocks full of dark pulses (the lowest settings: a block of 221
 * triggers spans a few shots), accepts dark pulses near either end of a block at a rate that
 * rivals the laser; the 50 ns gate lets through 1e-5 of them.
 */
export function gateBlock(ts: Float64Array, laserHz: number): BlockGate {
  const n = ts.length;
  const period = TICKS_PER_SECOND / laserHz;
  const mask = new Uint8Array(n);
  if (!n) return { mask, shots: 0 };
  const seed = laserLockedMask(ts, laserHz);
  let idx: number[] = [];
  for (let i = 0; i < n; i++) if (seed[i]) idx.push(i);
  if (!idx.length) return { mask, shots: (ts[n - 1] - ts[0]) / period };
  const gate = LASER_GATE_S * TICKS_PER_SECOND;
  const off = (t: number, a: number, b: number) => Math.abs(t - a - Math.round((t - a) / b) * b);
  // the phase most seeds agree on (a dark pulse the neighbour test took agrees with none)
  const wide = 20 * gate;
  let a = ts[idx[0]];
  let best = -1;
  for (const i of idx) {
    const agree = idx.filter((j) => off(ts[j], ts[i], period) <= wide).length;
    if (agree > best) {
      best = agree;
      a = ts[i];
    }
  }
  let b = period;
  for (let round = 0; round < 3; round++) {
    const keep = round === 0 ? wide : gate;
    const on = idx.filter((i) => off(ts[i], a, b) <= keep);
    if (!on.length) break;
    idx = on;
    ({ a, b } = refitShotGrid(ts, idx, { a, b }));
  }
  for (let i = 0; i < n; i++) if (Math.abs(ts[i] - a - Math.round((ts[i] - a) / b) * b) <= gate) mask[i] = 1;
  const shots = Math.floor((ts[n - 1] - a + gate) / b) - Math.ceil((ts[0] - a - gate) / b) + 1;
  return { mask, shots };
}

/** `blockStarts`: index where each separately read block begins (0 first). */
export function laserCharge(
  timestampsTicks: Float64Array,
  chargesPc: Float64Array,
  laserHz: number,
  blockStarts: readonly number[] = [0],
): LaserCharge {
  const n = timestampsTicks.length;
  if (chargesPc.length !== n) throw new Error(`laserCharge: ${n} timestamps but ${chargesPc.length} charges`);
  const bounds = [...new Set([...blockStarts.filter((b) => b > 0 && b < n), n])].sort((a, b) => a - b);
  const mask = new Uint8Array(n);
  let shots = 0;
  for (let b = 0, start = 0; b < bounds.length; start = bounds[b++]) {
    const ts = timestampsTicks.subarray(start, bounds[b]);
    if (!ts.length) continue;
    const g = gateBlock(ts, laserHz);
    mask.set(g.mask, start);
    shots += g.shots;
  }
  let locked = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    locked++;
    sum += chargesPc[i];
    sum2 += chargesPc[i] * chargesPc[i];
  }
  const meanLocked = locked ? sum / locked : NaN;
  const perShot = shots > 0 ? sum / Math.max(shots, locked) : NaN;
  return {
    triggers: n,
    laserEvents: locked,
    laserShots: shots,
    meanChargePerShotPc: perShot,
    meanChargeLockedPc: meanLocked,
    stdChargeLockedPc: locked > 1 ? Math.sqrt(Math.max(0, (sum2 - locked * meanLocked * meanLocked) / (locked - 1))) : NaN,
    meanPe: perShot / SPE_CHARGE_PC_AT_1E7,
    mask,
  };
}

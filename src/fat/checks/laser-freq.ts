import { analyseLaserSync, type LaserSyncResult } from '../../analysis/laser-sync.js';
import { IcebootSession } from '../../lab/iceboot/session.js';
import { LabPlugs } from '../../station/lab-plugs.js';
import { IcebootError } from '../../lab/iceboot/errors.js';
import type { CheckItem } from '../../records/check-results.js';
import type { Workspace } from '../../station/workspace.js';

/**
 * `fat check laser-freq` (check_laser_freq.py): with the function generator triggering the laser,
 * the tabletop reference board's charge stamps on channel 0 must be spaced by the laser period
 * (999 of 1000 intervals within 1%). One automatic retry, as the original needed "depending on
 * the status of the function generator".
 */
export const SYNC_STAMPS = 1000;
const CHARGE_STAMP_BYTES = 14;
const DAC_BASELINE = 30000;
const SYNC_THRESHOLD_CH0 = 8900;
const NULL_THRESHOLD_CH1 = 14000;

export interface LaserFreqAttempt {
  attempt: number;
  seen: LaserSyncResult | null;
  error?: string;
}

export interface LaserFreqResult {
  frequencyHz: number;
  pass: boolean;
  attempts: LaserFreqAttempt[];
  item: CheckItem;
}

async function oneAttempt(ws: Workspace, frequencyHz: number, attempt: number): Promise<LaserFreqAttempt> {
  const s = await IcebootSession.openAddress(ws.station.tabletop.address, { name: 'tabletop board', clock: ws.clock });
  try {
    for (const ch of [0, 1] as const) {
      await s.setBaselineDac(ch, DAC_BASELINE);
      await s.setConstReadout(ch, 128);
    }
    await s.startDualChannelTrigStream(SYNC_THRESHOLD_CH0, NULL_THRESHOLD_CH1);
    // the block arrives whole once all stamps exist: allow for the lab time it takes, in wall time
    const expectedWallMs = ((SYNC_STAMPS / frequencyHz) * 1000) / ws.station.clock.time_scale;
    const stamps = await s.readChargeBlock(SYNC_STAMPS * CHARGE_STAMP_BYTES, 10, 15, Math.max(3000, expectedWallMs * 2 + 2000));
    const keep: number[] = [];
    for (let i = 0; i < stamps.count; i++) if (stamps.channel[i] === 0 && stamps.flags[i] === 0) keep.push(stamps.timestamp[i]);
    return { attempt, seen: analyseLaserSync(Float64Array.from(keep), frequencyHz) };
  } catch (e) {
    if (e instanceof IcebootError && e.kind === 'timeout') {
      return { attempt, seen: null, error: `No sync signal found: the tabletop board recorded no laser pulses (${(e as Error).message})` };
    }
    throw e;
  } finally {
    await s.disableTriggers(0).catch(() => undefined);
    await s.close();
  }
}

export async function checkLaserFrequency(
  ws: Workspace,
  frequencyHz: number,
  progress: (l: string) => void = () => {},
): Promise<LaserFreqResult> {
  const lab = new LabPlugs(ws.station, ws.clock);
  const attempts: LaserFreqAttempt[] = [];
  try {
    const fg = await lab.functionGenerator();
    await fg.setShape('SQU');
    await fg.setAmplitude(3);
    await fg.setFrequency(frequencyHz);
    await fg.enableOutput();
    for (let attempt = 1; attempt <= 2; attempt++) {
      const a = await oneAttempt(ws, frequencyHz, attempt);
      attempts.push(a);
      if (a.seen?.pass) break;
      if (attempt === 1)
        progress(
          `laser sync not confirmed on the first try (${describe(a)}); retrying once, as is normal right after the generator starts`,
        );
    }
  } finally {
    // the laser off, then the connection closed
    for (const problem of await lab.close()) progress(problem);
  }
  const last = attempts[attempts.length - 1];
  const pass = Boolean(last.seen?.pass);
  const item: CheckItem = {
    check: 'laser-freq',
    subject: `laser sync at ${frequencyHz} Hz on the tabletop board (${ws.station.tabletop.address})`,
    reading: attempts,
    tolerance: `${SYNC_STAMPS - 1} of ${SYNC_STAMPS - 1} intervals within 1% of ${(1000 / frequencyHz).toFixed(3)} ms`,
    verdict: pass ? 'pass' : 'fail',
    message: pass
      ? `Laser Frequency Test Passed: ${describe(last)}${attempts.length > 1 ? ' (on the retry)' : ''}`
      : `${describe(last)}. Check that the laser power supply is on, the sync cable reaches the tabletop board, and the function generator triggers at ${frequencyHz} Hz; if it still fails, contact an expert.`,
  };
  return { frequencyHz, pass, attempts, item };
}

function describe(a: LaserFreqAttempt): string {
  if (!a.seen) return a.error ?? 'no data';
  const s = a.seen;
  return `${s.withinTolerance}/${s.intervals} intervals within 1% of ${s.expectedPeriodMs.toFixed(3)} ms (median ${s.medianPeriodMs.toFixed(3)} ms, ${s.stamps} stamps)`;
}

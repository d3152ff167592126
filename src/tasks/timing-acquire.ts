import { analyseRapcal, deggTicksToHubS, rapcalPair, type RapcalPair, type RapcalTimes } from '../analysis/rapcal.js';
import type { ChargeStamps } from '../lab/iceboot/decode.js';
import { readRapcalPacket } from '../lab/iceboot/rapcal-packet.js';
import type { IcebootSession } from '../lab/iceboot/session.js';
import type { IcmClient } from '../lab/icm-client.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * The acquisition of run_timing: charge stamps on every D-Egg and on the tabletop board at once,
 * each block bracketed by a RapCal exchange of every board with its field hub before and after, so
 * that every stamp of the block converts to hub time through the pair (as the original's
 * get_offset: RapCal A, events, RapCal B). The tabletop starts first and records its sync in one
 * read long enough to span every D-Egg's block: one read is one unbroken recording, where reads
 * one after another may leave gaps between them.
 */
export const TIMING = {
  laserHz: 500,
  /** D-Egg stamps per block, and blocks (the original's 500 x 5) */
  eventsPerBlock: 500,
  blocks: 5,
  dac: 30000,
  baselineSamples: 1024,
  baselineWaveforms: 20,
  baselineSwPeriodMs: 10,
  /** the D-Eggs' trigger: this far above each PMT's baseline (the original's "baseline + 100") */
  thresholdOverBaselineAdc: 100,
  /** the tabletop's channel 0 (the sync) and 1 (a PMT nobody needs here), as the original set them */
  tabletopThresholdsAdc: [9000, 14000] as [number, number],
  /** the readout window only has to hold the charge window around the peak (the FAT's 10 before, 15 after) */
  samples: 32,
  chargeBack: 10,
  chargeFwd: 15,
  /**
   * tabletop sync stamps per D-Egg stamp of a block: a D-Egg with the laser on both PMTs fills
   * its block at about 1000 stamps/s, the tabletop's sync comes at 500/s; four per stamp leave
   * room for the D-Eggs' start and for a module that sees less light (down to 250 stamps/s)
   */
  syncPerStamp: 4,
  /**
   * and room for the D-Eggs to start after it: commands take wall time, lab time runs `scale`
   * times faster (a simulated lab); 0.2 s of wall time is 100 shots in a real lab
   */
  startMarginWallS: 0.2,
  /** wall ms of silence allowed for a RapCal packet, and beyond a block's lab duration */
  rapcalTimeoutMs: 3000,
  blockMarginMs: 30_000,
};

export interface Board {
  /** null for the tabletop board */
  m: ActiveModule | null;
  s: IcebootSession;
  icm: IcmClient;
  device: number;
  thresholdsAdc: [number, number];
  /** every good stamp, in block order */
  block: number[];
  channel: number[];
  ticks: number[];
  chargePc: number[];
  hubS: number[];
  /** one RapCal pair per block */
  pairs: RapcalPair[];
}

export function newBoard(o: Pick<Board, 'm' | 's' | 'icm' | 'device' | 'thresholdsAdc'>): Board {
  return { ...o, block: [], channel: [], ticks: [], chargePc: [], hubS: [], pairs: [] };
}

async function rapcal(b: Board): Promise<RapcalTimes> {
  await b.icm.rapcal(b.device);
  return analyseRapcal(await readRapcalPacket(b.s, TIMING.rapcalTimeoutMs));
}

/**
 * One block: RapCal, stamps, RapCal, then every new stamp in hub time. A D-Egg that fails goes to
 * `fail` with nothing of this block kept; a failure of the tabletop ends the measurement.
 */
export async function recordBlock(
  ctx: TaskContext,
  block: number,
  tabletop: Board,
  dEggs: Board[],
  nEvents: number,
  fail: (b: Board, e: unknown) => void,
): Promise<void> {
  const boards = [tabletop, ...dEggs];
  const kept = new Map(boards.map((b) => [b, b.ticks.length]));
  const failed = new Set<Board>();
  const each = (list: Board[], f: (b: Board) => Promise<void>) =>
    Promise.all(
      list
        .filter((b) => !failed.has(b))
        .map((b) =>
          f(b).catch((e: unknown) => {
            if (ctx.signal.aborted || b === tabletop) throw e;
            failed.add(b);
            for (const a of [b.block, b.channel, b.ticks, b.chargePc]) a.length = kept.get(b)!;
            fail(b, e);
          }),
        ),
    );
  const before = new Map<Board, RapcalTimes>();
  await each(boards, async (b) => void before.set(b, await rapcal(b)));

  const scale = Number.isFinite(ctx.ws.clock.scale) ? ctx.ws.clock.scale : 0;
  const nSync = Math.ceil(TIMING.syncPerStamp * nEvents + TIMING.laserHz * TIMING.startMarginWallS * scale);
  const timeoutMs = (1000 * nSync) / TIMING.laserHz + TIMING.blockMarginMs;
  await tabletop.s.startDualChannelTrigStream(...tabletop.thresholdsAdc);
  const sync = tabletop.s.readChargeBlock(14 * nSync, TIMING.chargeBack, TIMING.chargeFwd, timeoutMs);
  const recorded = each(dEggs, async (b) => {
    await b.s.startDualChannelTrigStream(...b.thresholdsAdc);
    try {
      keep(b, block, await b.s.readChargeBlock(14 * nEvents, TIMING.chargeBack, TIMING.chargeFwd, timeoutMs));
    } finally {
      await stop(b);
    }
  });
  // the tabletop's read ends by itself; even after a failure it must end before the next command
  const [dEggsDone, syncDone] = await Promise.allSettled([recorded, sync]);
  await stop(tabletop);
  if (syncDone.status === 'rejected') throw syncDone.reason;
  if (dEggsDone.status === 'rejected') throw dEggsDone.reason;
  keep(tabletop, block, syncDone.value);

  await each(boards, async (b) => {
    const pair = rapcalPair(before.get(b)!, await rapcal(b));
    b.pairs.push(pair);
    for (let i = kept.get(b)!; i < b.ticks.length; i++) b.hubS.push(deggTicksToHubS(pair, b.ticks[i]));
  });
}

/** Both channels' triggers off; a board that cannot is reported by its next command. */
async function stop(b: Board): Promise<void> {
  for (const ch of [0, 1] as const) await b.s.disableTriggers(ch).catch(() => undefined);
}

function keep(b: Board, block: number, st: ChargeStamps): void {
  for (let i = 0; i < st.count; i++) {
    // the firmware's flags mark a bad waveform, charge or time: the FAT drops those stamps
    if (st.flags[i]) continue;
    b.block.push(block);
    b.channel.push(st.channel[i]);
    b.ticks.push(st.timestamp[i]);
    b.chargePc.push(st.chargePc[i]);
  }
}

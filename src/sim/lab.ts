import { ScaledClock, VirtualClock, type Clock } from '../clock/clock.js';
import { serveClock } from '../clock/clock-link.js';
import type { SimContext } from './context.js';
import { startControlServer } from './control-server.js';
import { startIcmServer } from './domnet/icm-server.js';
import { CTRL2_HV, CTRL2_LID, WirePairIcm } from './domnet/icm.js';
import { WirePair } from './domnet/wire-pair.js';
import { FaultSet, type Fault } from './faults.js';
import { MainboardSim, startDevicePort } from './iceboot/mainboard.js';
import { LabState } from './lab-state.js';
import { checkBasePort, simPorts, WIRE_PAIRS, type SimPorts } from './layout.js';
import { startPeripherals } from './peripherals/index.js';
import { buildLabTruth, type LabTruth } from './physics.js';

export interface SimLabOptions {
  seed?: number;
  /** lab seconds per wall second (ignored when `clock` is given) */
  timeScale?: number;
  /**
   * Virtual time: lab time jumps to the next wait whenever everything waits, and is served on the
   * clock port to a master in another process (clock-link.ts). Ignored when `clock` is given.
   */
  virtualTime?: boolean;
  clock?: Clock;
  basePort?: number;
  faults?: Fault[];
  host?: string;
  /**
   * 'standin': the wire pairs' device and ICM ports open only while a stand-in `domnet` holds them,
   * as on a real station; 'auto': all four open at start (tests, quick experiments).
   */
  domnet?: 'standin' | 'auto';
  log?: (m: string) => void;
}

export interface SimLab {
  ctx: SimContext;
  truth: LabTruth;
  ports: SimPorts;
  wirePairs: WirePair[];
  /** opens wire pair `wp`'s ports on behalf of the lab itself (as 'auto' does) */
  attachWirePair(wp: number): Promise<void>;
  /** lets go of the lab's own hold; the ports close unless a stand-in domnet still holds them */
  detachWirePair(wp: number): Promise<void>;
  close(): Promise<void>;
}

const LAB_HOLDER = 'lab';

/**
 * The whole simulated lab on loopback: sixteen D-Eggs behind four DomNet wire pairs, the tabletop
 * board, the peripherals and the HTTP control port. Everything it opens, close() frees, so tests
 * can start and stop labs many times in one process.
 */
export async function startSimLab(opts: SimLabOptions = {}): Promise<SimLab> {
  const virtualClock = !opts.clock && opts.virtualTime ? new VirtualClock(Date.now(), true) : undefined;
  const clock = opts.clock ?? virtualClock ?? new ScaledClock(opts.timeScale ?? 1);
  checkBasePort(opts.basePort ?? 5000);
  const ports = simPorts(opts.basePort ?? 5000);
  const seed = opts.seed ?? 1;
  const ctx: SimContext = {
    clock,
    seed,
    ports,
    faults: new FaultSet(opts.faults ?? []),
    lab: new LabState(clock),
    host: opts.host ?? '127.0.0.1',
    log: opts.log ?? (() => undefined),
  };
  const truth = buildLabTruth(seed, ports);

  const wirePairs: WirePair[] = [];
  for (let wp = 0; wp < WIRE_PAIRS; wp++) {
    const modules = truth.modules
      .filter((m) => m.wirePair === wp)
      .sort((a, b) => a.address - b.address)
      .map((m) => ({ truth: m, mb: new MainboardSim(ctx, m) }));
    wirePairs.push(new WirePair(ctx, wp, modules));
  }
  const tabletop = new MainboardSim(ctx, truth.tabletop, { tabletop: true });
  // nobody runs setup on the reference board: its interlocks are enabled for good
  tabletop.ctrl2 |= CTRL2_HV | CTRL2_LID;
  // the tabletop board sits alone (device 0) behind a field hub of its own, always on, as its
  // device port is; "wire pair" 4 names it in faults
  const remote = { address: 0, port: ports.tabletop, icmId: truth.tabletop.icmId, mb: tabletop };
  const tabletopHub = new WirePairIcm(ctx, WIRE_PAIRS, [remote], () => tabletop.detachAll());

  const closers: Array<() => Promise<void>> = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // control first: it ends the stand-ins' streams before the ports they hold go away
    for (const c of closers.reverse()) await c().catch((err: unknown) => ctx.log(`closing the simulated lab: ${(err as Error).message}`));
    await Promise.allSettled(wirePairs.map((w) => w.shutdown()));
    tabletop.detachAll();
  };

  try {
    const tt = await startDevicePort(ctx, ports.tabletop, tabletop);
    closers.push(() => tt.close());
    const ttIcm = await startIcmServer(ctx, ports.tabletopIcm, tabletopHub);
    closers.push(() => ttIcm.close());
    const peripherals = await startPeripherals(ctx);
    closers.push(() => peripherals.close());
    if (opts.domnet === 'auto') for (const w of wirePairs) await w.hold(LAB_HOLDER);
    if (virtualClock) {
      const served = await serveClock(virtualClock, ports.clock, ctx.host);
      closers.push(() => served.close());
    }
    const control = await startControlServer({ ctx, truth, wirePairs });
    closers.push(() => control.close());
  } catch (err) {
    await close();
    throw err;
  }
  ctx.log(`simulated lab up: seed ${seed}, time scale ${clock.scale}, base port ${ports.base}, control port ${ports.control}`);

  const pair = (wp: number) => {
    const w = wirePairs[wp];
    if (!w) throw new Error(`no wire pair ${wp} in the simulated lab; wire pairs are 0-${wirePairs.length - 1}`);
    return w;
  };
  return {
    ctx,
    truth,
    ports,
    wirePairs,
    attachWirePair: (wp) => pair(wp).hold(LAB_HOLDER),
    detachWirePair: (wp) => pair(wp).release(LAB_HOLDER),
    close,
  };
}

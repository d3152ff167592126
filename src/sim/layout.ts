import net from 'node:net';

/**
 * Where every simulated instrument listens, relative to the base port (default 5000).
 *
 * The DomNet part mirrors the real FAT station: 4 wire pairs of 4 D-Eggs on base..base+15, each wire
 * pair's ICM command port at its first device port + 1000. The peripherals that are serial devices
 * in a real lab (filter wheels, thermometer, humidity sensors, freezer controller) are served as raw
 * TCP byte streams, as a serial-to-Ethernet server would; `socat` turns any of them into a
 * pseudo-terminal for the serial driver.
 *
 * icefat's default station file (src/lab/station-defaults.ts) encodes the same offsets; the two
 * must agree, as a real station file must agree with the cabling.
 */
export const WIRE_PAIRS = 4;
export const DEVICES_PER_WIRE_PAIR = 4;

/** the highest offset a simulated lab listens on (the Prologix adapter) */
export const SIM_PORT_SPAN = 1234;

/** A base port whose whole lab fits in 1..65535, or an error naming the instrument that would not. */
export function checkBasePort(base: number): void {
  if (!Number.isInteger(base) || base < 1 || base + SIM_PORT_SPAN > 65535)
    throw new Error(
      `base port ${base}: a simulated lab listens on ${base}..${base + SIM_PORT_SPAN} (its function generator's Prologix adapter at base + ${SIM_PORT_SPAN}), and TCP ports run from 1 to 65535: choose a base port from 1 to ${65535 - SIM_PORT_SPAN}`,
    );
}

export const simPorts = (base = 5000) => ({
  base,
  /** first device port of wire pair `wp` (0..3) */
  wirePairBase: (wp: number) => base + wp * DEVICES_PER_WIRE_PAIR,
  /** mainboard of wire pair `wp`, address `dev` */
  mainboard: (wp: number, dev: number) => base + wp * DEVICES_PER_WIRE_PAIR + dev,
  /** ICM command port (ZeroMQ REP) of wire pair `wp` */
  icm: (wp: number) => base + wp * DEVICES_PER_WIRE_PAIR + 1000,
  /** the tabletop reference mainboard that sees the laser sync */
  tabletop: base + 16,
  /** ICM command port of the tabletop board's own field hub (device 0 on it), for RapCal */
  tabletopIcm: base + 1016,
  /** function generator, raw SCPI socket */
  scpi: base + 25,
  /** Prologix GPIB-Ethernet adapter with the function generator at GPIB address 10 */
  prologix: base + SIM_PORT_SPAN,
  filterWheel: (i: number) => base + 30 + i,
  thermometer: base + 32,
  humidity: (i: number) => base + 33 + i,
  freezer: base + 40,
  /** the lab's virtual clock, served to a master in another process (`fat sim start --virtual-time`) */
  clock: base + 98,
  /** HTTP control of the simulator: truth, faults, DomNet attach (used by the stand-in `domnet`) */
  control: base + 99,
});

export type SimPorts = ReturnType<typeof simPorts>;

/** Every port a simulated lab at `base` listens on: a base where all are free is taken by a dry run or `fat demo`. */
export function probePorts(base: number): number[] {
  const p = simPorts(base);
  const pairs = Array.from({ length: WIRE_PAIRS }, (_, wp) => wp);
  return [
    ...pairs.flatMap((wp) => Array.from({ length: DEVICES_PER_WIRE_PAIR }, (_, dev) => p.mainboard(wp, dev))),
    ...pairs.map((wp) => p.icm(wp)),
    p.tabletop,
    p.tabletopIcm,
    p.scpi,
    p.prologix,
    p.filterWheel(0),
    p.filterWheel(1),
    p.thermometer,
    p.humidity(0),
    p.humidity(1),
    p.freezer,
    p.clock,
    p.control,
  ];
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** The first of `candidates` where a simulated lab's ports are free (an error for a base port out of range). */
export async function firstFreeBase(candidates: number[]): Promise<number | undefined> {
  for (const b of candidates) {
    checkBasePort(b);
    if ((await Promise.all(probePorts(b).map(portFree))).every(Boolean)) return b;
  }
  return undefined;
}

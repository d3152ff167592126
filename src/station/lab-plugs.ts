import { FilterWheel } from '../lab/instruments/filter-wheel.js';
import { FreezerController } from '../lab/instruments/freezer.js';
import { FunctionGenerator } from '../lab/instruments/function-generator.js';
import { Thermometer } from '../lab/instruments/thermometer.js';
import { realClock, type Clock } from '../clock/clock.js';
import { IcebootSession } from '../lab/iceboot/session.js';
import type { Station } from '../lab/station.js';
import { withSession } from './module-link.js';

/**
 * The lab's instruments, handed to a task (OpenHTF's plugs) and torn down in one place when the
 * task ends (`close`, called by the engine whatever way the task ended): the function generator's
 * output off first (the laser must never stay on after a task), then every connection closed.
 * - The shared peripherals (function generator, filter wheels, thermometer, freezer) are connected
 *   when the task first asks for one and kept for the rest of the task. A failed connection is not
 *   kept, so the task may ask again.
 * - A D-Egg is reached through `module(port, fn)`: an iceboot session of its own for `fn` (the
 *   mainboard's port takes one client at a time, and a module that fails must not hold up the
 *   others), closed when `fn` ends; one still open when the task ends (a stop in the middle of a
 *   word) is closed by `close`. A measurement that holds several boards open at once takes them
 *   with `held`, closed by the task or by `close`.
 */
export class LabPlugs {
  private fg?: Promise<FunctionGenerator>;
  private wheels?: Promise<FilterWheel[]>;
  private thermo?: Promise<Thermometer>;
  private fridge?: Promise<FreezerController>;

  private readonly sessions = new Set<IcebootSession>();
  private readonly heldOpen = new Set<IcebootSession>();

  /** `clock`: the one the iceboot sessions' idle waits go through (the workspace's) */
  constructor(
    private readonly station: Station,
    private readonly clock: Clock = realClock,
  ) {}

  /** Runs `fn` on an iceboot session of the D-Egg at DomNet port `port`, closed when `fn` ends. */
  module<T>(port: number, fn: (s: IcebootSession) => Promise<T>): Promise<T> {
    return withSession(
      this.station.daq_host,
      port,
      async (s) => {
        this.sessions.add(s);
        try {
          return await fn(s);
        } finally {
          this.sessions.delete(s);
        }
      },
      this.clock,
    );
  }

  functionGenerator(): Promise<FunctionGenerator> {
    return (this.fg ??= this.kept(FunctionGenerator.connect(this.station.function_generator.address), () => (this.fg = undefined)));
  }

  /** both filter wheels, in the station file's order (the effective transmission is s0·s1) */
  filterWheels(): Promise<FilterWheel[]> {
    const open = async () => {
      const wheels: FilterWheel[] = [];
      try {
        for (const [i, w] of this.station.filter_wheels.entries())
          wheels.push(await FilterWheel.connect(w.address, { name: `filter wheel ${i}`, strengths: w.strengths }));
        return wheels;
      } catch (e) {
        await Promise.all(wheels.map((w) => w.close().catch(() => undefined)));
        throw e;
      }
    };
    return (this.wheels ??= this.kept(open(), () => (this.wheels = undefined)));
  }

  thermometer(): Promise<Thermometer> {
    return (this.thermo ??= this.kept(Thermometer.connect(this.station.thermometer.address), () => (this.thermo = undefined)));
  }

  /**
   * An iceboot session kept for the rest of the task, for a measurement that holds several boards
   * open at once (run_timing): the D-Egg at DomNet port `port`, or a board at `tcp://host:port`
   * (the tabletop board). Closed by the task or, at the latest, by the teardown.
   */
  async held(where: number | string, name: string): Promise<IcebootSession> {
    const s =
      typeof where === 'number'
        ? await IcebootSession.open(this.station.daq_host, where, { name, clock: this.clock })
        : await IcebootSession.openAddress(where, { name, clock: this.clock });
    this.heldOpen.add(s);
    return s;
  }

  /** Both PMTs of the D-Egg at `port` to 0 V and their HV disabled (a set point it refuses does not stop the disable). */
  hvOff(port: number): Promise<void> {
    return this.module(port, async (s) => {
      for (const ch of [0, 1] as const) {
        await s.setHV(ch, 0).catch(() => undefined);
        await s.disableHV(ch);
      }
    });
  }

  freezer(): Promise<FreezerController> {
    const address = this.station.freezer.address;
    if (!address) return Promise.reject(new Error('the station file names no freezer controller ([freezer] address)'));
    return (this.fridge ??= this.kept(FreezerController.connect(address), () => (this.fridge = undefined)));
  }

  /** Tears down what was connected: the laser off first, then every connection closed. Returns what failed. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    const settled = async <T>(p: Promise<T> | undefined) =>
      p
        ? p.then(
            (x) => x,
            () => undefined,
          )
        : undefined;
    const [fg, wheels, thermo, fridge] = await Promise.all([
      settled(this.fg),
      settled(this.wheels),
      settled(this.thermo),
      settled(this.fridge),
    ]);
    this.fg = this.wheels = this.thermo = this.fridge = undefined;
    if (fg)
      await fg
        .disableOutput()
        .catch((e: Error) =>
          problems.push(
            `the function generator at ${fg.address} did not turn its output off (${e.message}): the laser may still be firing; turn it off by hand`,
          ),
        );
    const all: Array<{ close(): Promise<void> }> = [
      ...(fg ? [fg] : []),
      ...(wheels ?? []),
      ...(thermo ? [thermo] : []),
      ...(fridge ? [fridge] : []),
    ];
    // a session still open is in the middle of a word: its socket is dropped, not asked to restore its log state
    const open = [...this.sessions].map((s) => ({ close: () => s.closeTransport() }));
    this.sessions.clear();
    // the held ones the task has not closed itself (closing twice does nothing)
    open.push(...this.heldOpen);
    this.heldOpen.clear();
    await Promise.all([...all, ...open].map((x) => x.close().catch(() => undefined)));
    return problems;
  }

  /** a connection being made, forgotten again when it fails */
  private kept<T>(p: Promise<T>, forget: () => void): Promise<T> {
    p.catch(forget);
    return p;
  }
}

import { FilterWheel } from '../lab/instruments/filter-wheel.js';
import { FreezerController } from '../lab/instruments/freezer.js';
import { FunctionGenerator } from '../lab/instruments/function-generator.js';
import { Thermometer } from '../lab/instruments/thermometer.js';
import type { Station } from '../lab/station.js';

/**
 * The lab's shared instruments, handed to a task (OpenHTF's plugs): each is connected when the task
 * first asks for it, kept for the rest of the task, and torn down in one place when the task ends
 * (`close`, called by the engine whatever way the task ended): the function generator's output
 * off first (the laser must never stay on after a task), then every connection closed. A failed
 * connection is not kept, so the task may ask again.
 */
export class LabPlugs {
  private fg?: Promise<FunctionGenerator>;
  private wheels?: Promise<FilterWheel[]>;
  private thermo?: Promise<Thermometer>;
  private fridge?: Promise<FreezerController>;

  constructor(private readonly station: Station) {}

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
    await Promise.all(all.map((x) => x.close().catch(() => undefined)));
    return problems;
  }

  /** a connection being made, forgotten again when it fails */
  private kept<T>(p: Promise<T>, forget: () => void): Promise<T> {
    p.catch(forget);
    return p;
  }
}

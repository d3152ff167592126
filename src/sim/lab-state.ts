import type { Clock } from '../clock/clock.js';
import { FreezerModel } from './freezer-model.js';
import { HUB_TICKS_PER_MS } from './icm-clock.js';

/**
 * The shared physical state of the simulated lab: what the function generator does (and so whether
 * the laser fires), where the filter wheels stand, how cold the freezer is. The instrument servers
 * change it through their own protocols; the mainboard physics reads it.
 */
export interface FunctionGeneratorState {
  outputOn: boolean;
  frequencyHz: number;
  shape: string;
  amplitudeVpp: number;
  offsetV: number;
  burstOn: boolean;
  burstCycles: number;
}

export interface FilterWheelState {
  /** 1-based, as the FW102C counts */
  position: number;
  /** transmission of the filter in each position (index 0 = position 1) */
  strengths: number[];
}

/** Filters installed in the simulated optics box; together they make every linearity setting. */
export const SIM_FILTER_STRENGTHS: [number[], number[]] = [
  [1.0, 0.32, 0.25, 0.1, 0.05, 0.01],
  [1.0, 0.5, 0.32, 0.1, 0.05, 0.01],
];

/** Photoelectrons per laser pulse reaching a nominal PMT with both wheels at 1.0. */
export const LASER_PE_AT_FULL_STRENGTH = 400;

/** how long the field hubs had been running when the lab started */
const HUB_UPTIME_MS = 2 * 86400_000;

export class LabState {
  readonly fg: FunctionGeneratorState = {
    outputOn: false,
    frequencyHz: 1000,
    shape: 'SQU',
    amplitudeVpp: 1,
    offsetV: 0,
    burstOn: false,
    burstCycles: 1,
  };
  readonly filterWheels: FilterWheelState[] = SIM_FILTER_STRENGTHS.map((s) => ({ position: 1, strengths: [...s] }));
  readonly freezer: FreezerModel;
  /** lab time when the generator's output was last switched on; laser pulses are phase-locked to it */
  laserOnSinceMs = 0;
  roomTemperatureC = 21;
  /** the field hubs' epoch: their GPS-disciplined 60 MHz counters read 0 here (icm-clock.ts) */
  readonly hubEpochMs: number;

  constructor(readonly clock: Clock) {
    this.freezer = new FreezerModel(clock, this.roomTemperatureC);
    this.hubEpochMs = clock.now() - HUB_UPTIME_MS;
  }

  /** hub time (60 MHz counts) at lab time `ms` */
  hubTicksAt(ms = this.clock.now()): number {
    return (ms - this.hubEpochMs) * HUB_TICKS_PER_MS;
  }

  msAtHubTicks(ticks: number): number {
    return this.hubEpochMs + ticks / HUB_TICKS_PER_MS;
  }

  /** The laser fires only while the generator's output is on. */
  get laserFiring(): boolean {
    return this.fg.outputOn;
  }

  setGeneratorOutput(on: boolean): void {
    if (on && !this.fg.outputOn) this.laserOnSinceMs = this.clock.now();
    this.fg.outputOn = on;
  }

  /** Product of the two wheels' transmissions at their current positions. */
  filterTransmission(): number {
    return this.filterWheels.reduce((p, w) => p * (w.strengths[w.position - 1] ?? 0), 1);
  }
}

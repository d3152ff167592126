import type { IcmClockTruth } from './truth-types.js';

/**
 * Time as the ICMs count it. The field hubs are GPS-disciplined: every hub's ICM counts the same
 * 60 MHz from the same epoch (LabState.hubEpochMs), so hub time is the lab's common time, held as
 * a double of 60 MHz counts (a few ps apart for years), never as milliseconds since 1970 (0.2 µs
 * apart). Each in-ice ICM counts its own oscillator, with its own offset and drift; its mainboard's
 * 240 MHz clock is four times it. RapCal relates the two.
 */
export const ICM_HZ = 60e6;
export const HUB_TICKS_PER_MS = ICM_HZ / 1000;

export class IcmClock {
  /** in-ice counts per hub count */
  readonly rate: number;
  private readonly offsetTicks: number;

  constructor(t: IcmClockTruth) {
    this.rate = 1 + t.driftPpm * 1e-6;
    this.offsetTicks = t.offsetS * ICM_HZ;
  }

  /** the in-ice ICM's count at hub time `hub` (60 MHz counts, fractional) */
  at(hub: number): number {
    return hub * this.rate + this.offsetTicks;
  }

  /** the hub time at which the in-ice ICM counts `ticks` */
  hubAt(ticks: number): number {
    return (ticks - this.offsetTicks) / this.rate;
  }
}

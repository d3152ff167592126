import type { Clock } from '../clock/clock.js';

/**
 * The freezer's air temperature follows its set point as a first-order lag: cooling from room
 * temperature to -40 °C takes hours (time constant 3 h), warming back takes about a day or more
 * (time constant 10 h), as the manual warns ("very long time to warm up (~days)").
 */
export const COOL_TAU_H = 3;
export const WARM_TAU_H = 10;

export class FreezerModel {
  private t0: number;
  private temp0: number;
  private sp: number;

  constructor(
    private readonly clock: Clock,
    startC = 20,
  ) {
    this.t0 = clock.now();
    this.temp0 = startC;
    this.sp = startC;
  }

  get setpointC(): number {
    return this.sp;
  }

  /** Air temperature at lab time `atMs` (default now). */
  temperatureC(atMs = this.clock.now()): number {
    const tauMs = (this.sp < this.temp0 ? COOL_TAU_H : WARM_TAU_H) * 3600_000;
    const dt = Math.max(0, atMs - this.t0);
    return this.sp + (this.temp0 - this.sp) * Math.exp(-dt / tauMs);
  }

  setSetpoint(c: number): void {
    this.temp0 = this.temperatureC();
    this.t0 = this.clock.now();
    this.sp = c;
  }
}

/**
 * One PMT high-voltage channel: the firmware ramps the output towards the set point at about
 * 75 V per second of lab time; switching off (disableHV, interlock dropped) discharges faster.
 */
export const HV_RAMP_VOLTS_PER_S = 75;
export const HV_DISCHARGE_VOLTS_PER_S = 400;
export const HV_MAX_VOLTS = 2000;
/** divider load of the HV base: current in µA = volts / this */
export const HV_LOAD_MOHM = 100;

export class HvChannel {
  enabled = false;
  setVolts = 0;
  private volts = 0;
  private atMs: number;

  constructor(nowMs: number) {
    this.atMs = nowMs;
  }

  /** output voltage at lab time `nowMs` given the ICM HV interlock */
  voltsAt(nowMs: number, interlockOn: boolean): number {
    const dtS = Math.max(0, nowMs - this.atMs) / 1000;
    this.atMs = Math.max(this.atMs, nowMs);
    const on = this.enabled && interlockOn;
    const target = on ? this.setVolts : 0;
    const rate = on ? HV_RAMP_VOLTS_PER_S : HV_DISCHARGE_VOLTS_PER_S;
    const step = rate * dtS;
    if (this.volts < target) this.volts = Math.min(target, this.volts + step);
    else this.volts = Math.max(target, this.volts - step);
    return this.volts;
  }

  /** settle the ramp up to now, then change the set point */
  set(nowMs: number, interlockOn: boolean, volts: number): void {
    this.voltsAt(nowMs, interlockOn);
    this.setVolts = Math.max(0, Math.min(HV_MAX_VOLTS, volts));
  }

  setEnabled(nowMs: number, interlockOn: boolean, on: boolean): void {
    this.voltsAt(nowMs, interlockOn);
    this.enabled = on;
  }

  /** immediate loss of HV (reboot, power off) */
  reset(nowMs: number): void {
    this.enabled = false;
    this.setVolts = 0;
    this.volts = 0;
    this.atMs = nowMs;
  }
}

import type { DocStore } from '../records/json-docs.js';
import { FIR_COEFFICIENTS, firThreshold, type TriggerType } from '../analysis/dark-rate.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { measureBaseline } from './pmt-baseline.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * The pieces of the scaler dark-rate measurement (measure_scaler.py, original-system.md §6.4)
 * that measure_scaler and the monitoring tasks share: HV up, baseline, trigger set-up, the loop
 * over 100 ms scaler windows and the HDF5 of a series.
 */
export const SCALER = {
  periodUs: 100_000,
  deadtimeCycles: 24,
  dac: 30000,
  baselineSamples: 1024,
  baselineWaveforms: 50,
  /** software trigger period for the baseline waveforms */
  baselineSwPeriodMs: 10,
  defaultHvVolts: 1500,
  hvRampS: 40,
  /** readback above this counts as "HV on" (checkHV) */
  hvOnVolts: 1000,
  /** a FIR median count per window above this means the threshold is wrong (the original raised) */
  maxFirMedianCount: 10000,
};

/** Sets the HV (to HV1e7Gain) where it is not on yet; true when at least one channel had to ramp. */
export async function hvUp(ws: DocStore, s: IcebootSession, m: ActiveModule): Promise<boolean> {
  let set = false;
  for (const ch of [0, 1] as const) {
    const on = (await s.hvEnabled(ch)) && (await s.hvReadback(ch)).hvVolts > SCALER.hvOnVolts;
    if (on) continue;
    await s.enableHV(ch);
    await s.setHV(ch, await hvSetPoint(ws, m.jsonFile, PMTS[ch]));
    set = true;
  }
  return set;
}

export const scalerBaseline = (s: IcebootSession, ch: PmtChannel, m: ActiveModule) => measureBaseline(s, ch, m, SCALER);

/** FIR trigger (threshold over baseline) or ADC trigger (absolute threshold = baseline + over). */
export async function setTrigger(s: IcebootSession, ch: PmtChannel, baselineAdc: number, thresholdAdc: number, trigger: TriggerType) {
  if (trigger === 'fir') {
    await s.setFirCoefficients(ch, FIR_COEFFICIENTS);
    await s.setFirTriggerThreshold(ch, firThreshold(thresholdAdc));
    await s.enableFirTrigger(ch);
  } else {
    await s.setAdcTriggerThreshold(ch, Math.round(baselineAdc + thresholdAdc));
    await s.enableAdcTrigger(ch);
  }
}

/**
 * `n` scaler windows of 100 ms (dead time 24 cycles) on the given channels at once, whose
 * triggers are set up. The first window after enabling is incomplete, so each read waits one
 * period first. Disables the triggers at the end.
 */
export async function readScalerWindows(
  ctx: Pick<TaskContext, 'signal' | 'ws'>,
  s: IcebootSession,
  channels: readonly PmtChannel[],
  n: number,
  onWindow: () => void = () => undefined,
): Promise<Uint32Array[]> {
  const counts = channels.map(() => new Uint32Array(n));
  try {
    for (const ch of channels) await s.enableScalers(ch, SCALER.periodUs, SCALER.deadtimeCycles);
    for (let i = 0; i < n; i++) {
      await ctx.ws.clock.sleep(SCALER.periodUs / 1000, ctx.signal);
      for (let k = 0; k < channels.length; k++) counts[k][i] = await s.getScalerCount(channels[k]);
      onWindow();
    }
  } finally {
    for (const ch of channels) await s.disableTriggers(ch);
  }
  return counts;
}

/** The scaler series of one PMT: `<PMT>.hdf5` (layout in docs/raw-data.md). */
export function writeSeries(file: string, counts: Uint32Array, rates: Float64Array, attrs: Record<string, string | number>): Promise<void> {
  return writeHdf5(file, {
    attrs,
    datasets: {
      count: { data: counts, attrs: { units: 'triggers per window' } },
      rate_hz: { data: rates, attrs: { units: 'Hz, dead-time corrected' } },
    },
  });
}

const DARK_RATE_BANDS = ['cold', 'mid', 'warm'] as const;

/** The goalpost of a dark rate: by trigger and by the mainboard temperature band of the original's table. */
export function darkRateGoalpost(trigger: TriggerType, temperatureC: number): string {
  const band: (typeof DARK_RATE_BANDS)[number] = temperatureC < -12 ? 'cold' : temperatureC < 0 ? 'mid' : 'warm';
  return `${trigger === 'fir' ? 'darkrate' : 'darkrate_adc'}.${band}`;
}

/** Every name `darkRateGoalpost` gives: the quantities of a kind that records dark rates. */
export const DARK_RATE_QUANTITIES = ['darkrate', 'darkrate_adc'].flatMap((t) => DARK_RATE_BANDS.map((b) => `${t}.${b}`));

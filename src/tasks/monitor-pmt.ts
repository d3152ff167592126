import type { DocStore } from '../records/json-docs.js';
import path from 'node:path';
import { analyseScaler, scalerThreshold, type TriggerType } from '../analysis/dark-rate.js';
import { ADC_VOLTS } from '../analysis/visibility.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import type { SpePoint } from './gain-acquire.js';
import { deltaTOfPmt, quarterPeThreshold, type PmtDeltaT } from './measure-dt.js';
import { PMTS, pmtSerialOf, pmtFileAttrs } from './pmt-json.js';
import { readScalerWindows, SCALER, setTrigger, writeSeries } from './scaler-windows.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * The per-PMT steps that constant_monitor (ritual.py) and slowmon (recall.py) share after their
 * gain step: scalers at 0.25 PE and Δt, with the threshold from the SPE amplitude just measured.
 */
export interface DarkSteps {
  thresholdAdc: number;
  darkRateHz: number;
  darkRateStdHz: number;
  scalerFile: string;
  dt: PmtDeltaT;
}

/** 0.25 PE in ADC from the fitted amplitude of a gain point, else from the PMT file's SPEPeakHeight. */
export function thresholdFrom(ws: DocStore, m: ActiveModule, ch: PmtChannel, spe: SpePoint): Promise<number> | number {
  if (Number.isFinite(spe.peakHeightAdc) && spe.peakHeightAdc > 0) {
    try {
      return scalerThreshold(spe.peakHeightAdc * ADC_VOLTS).thresholdAdc;
    } catch {
      // outside 1-10 mV: fall back to the file's value, which scalerThreshold checks again
    }
  }
  return quarterPeThreshold(ws, m, PMTS[ch]);
}

export async function darkSteps(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  o: { trigger: TriggerType; thresholdAdc: number; baselineAdc: number; nRuns: number; nDtEvents: number; dir: string; tag: string },
): Promise<DarkSteps> {
  const pmt = PMTS[ch];
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  await setTrigger(s, ch, o.baselineAdc, o.thresholdAdc, o.trigger);
  const [counts] = await readScalerWindows(ctx, s, [ch], o.nRuns);
  const a = analyseScaler(counts, SCALER.periodUs / 1e6, SCALER.deadtimeCycles);
  const scalerFile = path.join(o.dir, `${pmtSerial}_scaler_${o.tag}.hdf5`);
  await writeSeries(scalerFile, counts, a.rates, {
    ...pmtFileAttrs(m, pmt, pmtSerial),
    channel: ch,
    period_us: SCALER.periodUs,
    deadtime_cycles: SCALER.deadtimeCycles,
    trigger: o.trigger,
    baseline_adc: o.baselineAdc,
    threshold_adc_over_baseline: o.thresholdAdc,
    time: new Date(ctx.ws.clock.now()).toISOString(),
  });
  const dt = await deltaTOfPmt(ctx, s, m, ch, o.trigger, o.nDtEvents, o.thresholdAdc, path.join(o.dir, `${pmtSerial}_dt_${o.tag}.hdf5`));
  return { thresholdAdc: o.thresholdAdc, darkRateHz: a.meanHz, darkRateStdHz: a.stdHz, scalerFile, dt };
}

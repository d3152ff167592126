import { analyseDeltaT, type DeltaTAnalysis } from '../analysis/delta-t.js';
import { FIR_COEFFICIENTS, firThreshold, type TriggerType } from '../analysis/dark-rate.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { PMTS, where } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * Dark charge stamps of one PMT with their timestamps (measure_dt.py, original-system.md §6.5),
 * for the Δt distribution. Shared by measure_spe and the monitoring tasks.
 */
export const DT = {
  /** readout length: also the dead time after each trigger (133 ns) */
  samples: 32,
  stampsPerBlock: 500,
  /** the original's sanity windows: ADC total threshold, FIR threshold over baseline */
  adcThresholdRange: [6000, 10000] as const,
  firThresholdRange: [0, 20] as const,
  blockTimeoutMs: 120_000,
};

export interface DeltaTData {
  timestampsTicks: Float64Array;
  chargesPc: Float64Array;
  analysis: DeltaTAnalysis;
  thresholdAdc: number;
  trigger: TriggerType;
  blockStarts: number[];
}

/** `thresholdOverBaselineAdc` above `baselineAdc`; throws naming the PMT when the threshold is outside the original's windows. */
export async function acquireDeltaT(
  ctx: Pick<TaskContext, 'signal'>,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  baselineAdc: number,
  thresholdOverBaselineAdc: number,
  trigger: TriggerType,
  events: number,
): Promise<DeltaTData> {
  const pmt = PMTS[ch];
  if (trigger === 'fir') {
    const [lo, hi] = DT.firThresholdRange;
    if (!(thresholdOverBaselineAdc > lo && thresholdOverBaselineAdc <= hi))
      throw new Error(
        `${where(m, pmt)}: FIR threshold ${thresholdOverBaselineAdc} ADC over baseline is outside ${lo}-${hi} (about 13 expected)`,
      );
  } else {
    const total = baselineAdc + thresholdOverBaselineAdc;
    const [lo, hi] = DT.adcThresholdRange;
    if (!(total >= lo && total <= hi))
      throw new Error(`${where(m, pmt)}: ADC threshold ${total.toFixed(0)} is outside ${lo}-${hi} (about 8000 expected)`);
  }
  await s.setConstReadout(ch, DT.samples);
  if (trigger === 'fir') {
    await s.setFirCoefficients(ch, FIR_COEFFICIENTS);
    await s.startFirTrigStream(ch, firThreshold(thresholdOverBaselineAdc));
  } else await s.startThresholdTrigStream(ch, Math.round(baselineAdc + thresholdOverBaselineAdc));
  const ts: number[] = [];
  const q: number[] = [];
  // the FPGA keeps a limited backlog between reads: each block starts a new stretch of live time
  const blockStarts: number[] = [];
  try {
    while (ts.length < events) {
      ctx.signal.throwIfAborted();
      const n = Math.min(DT.stampsPerBlock, events - ts.length);
      const b = await s.readChargeBlock(14 * n, 10, 15, DT.blockTimeoutMs);
      if (ts.length) blockStarts.push(ts.length);
      for (let i = 0; i < b.count; i++) {
        if (b.flags[i] || b.channel[i] !== ch) continue;
        ts.push(b.timestamp[i]);
        q.push(b.chargePc[i]);
      }
    }
  } finally {
    await s.disableTriggers(ch);
  }
  const timestampsTicks = Float64Array.from(ts);
  return {
    blockStarts,
    timestampsTicks,
    chargesPc: Float64Array.from(q),
    analysis: analyseDeltaT(timestampsTicks, undefined, undefined, blockStarts),
    thresholdAdc: thresholdOverBaselineAdc,
    trigger,
  };
}

/** `<PMT>.hdf5` of a Δt run (layout in docs/raw-data.md). */
export function writeDeltaT(file: string, d: DeltaTData, attrs: Record<string, string | number>): Promise<void> {
  return writeHdf5(file, {
    attrs: {
      ...attrs,
      trigger: d.trigger,
      threshold_adc_over_baseline: d.thresholdAdc,
      rate_hz: d.analysis.rateHz,
      short_dt_window_s: d.analysis.shortWindowS,
      short_dt_fraction: d.analysis.shortFraction,
      correlated_fraction: d.analysis.correlatedFraction,
    },
    datasets: {
      timestamp_ticks: { data: d.timestampsTicks, attrs: { units: '240 MHz FPGA clock ticks' } },
      charge_pc: { data: d.chargesPc, attrs: { units: 'pC (charge stamp, peak -10..+15 samples)' } },
      dt_s: { data: d.analysis.dtS, attrs: { units: 's between successive triggers of one block' } },
      block_start: {
        data: Int32Array.from(d.blockStarts),
        attrs: { units: 'index of the first stamp of each read-out block after the first' },
      },
    },
  });
}

import { waveformCharges } from '../analysis/visibility.js';
import { fitPeakHeightAdc } from '../analysis/gain-offline.js';
import type { SpeFit } from '../analysis/gaussian-fit.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { measureBaseline } from './pmt-baseline.js';
import type { PmtName } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';
import { pmtFileAttrs } from './pmt-json.js';

/**
 * The pieces of the online gain measurement (measure_gain_online.py, original-system.md §6.3)
 * that the gain scan, the gain check and the monitoring tasks share: threshold-triggered SPE
 * waveforms at baseline + 25 ADC, the SPE amplitude fit, the HDF5 of one point and the HV
 * set-and-settle.
 */
/** What a gain scan and its analysis record (a check records `gain.check`), by their goalpost names. */
export const GAIN_QUANTITY = {
  hv1e7: 'gain.hv1e7',
  speHeight: 'gain.spe_peak_height',
  fitExponent: 'gain.fit_exponent',
  check: 'gain.check',
} as const;
export const GAIN_QUANTITIES = Object.values(GAIN_QUANTITY);

export const GAIN = {
  samples: 128,
  dac: 30000,
  thresholdOverBaselineAdc: 25,
  blockBytes: 66000,
  /** charge stamps per read in the chargestamp configuration (5600 bytes) */
  stampsPerBlock: 400,
  baselineSamples: 1024,
  baselineWaveforms: 20,
  baselineSwPeriodMs: 10,
  /** lab seconds to wait after enabling the HV from off, and after a step of a running scan */
  hvRampFromOffS: 40,
  hvStepWaitS: 15,
  /** readback further than this from the set point after the wait: wait again (5 s at a time, 6 times) */
  hvSettledVolts: 10,
  hvOnVolts: 1000,
  /** wall ms a waveform block may take to fill (a low rate at a low HV is slow) */
  blockTimeoutMs: 60_000,
  /** the offline analysis's sanity windows (analyze_gain.analysis_wrapper) */
  hv1e7RangeVolts: [1000, 2000] as const,
  spePeakHeightRangeVolts: [0.001, 0.01] as const,
  /**
   * samples of pulse area per unit of peak height, for the fallback SPE peak height from the SPE
   * charge when the amplitude fit fails (a pulse of ~1.3 / 1.9 samples rise / fall σ)
   */
  pulseAreaSamplesPerPeak: 3.95,
};

export const gainBaseline = (s: IcebootSession, ch: PmtChannel, m: ActiveModule) => measureBaseline(s, ch, m, GAIN);

export interface Acquisition {
  charges: Float64Array;
  amplitudesAdc: Float64Array;
  timestampsTicks: Float64Array;
  rateHz: number;
  baselineAdc: number;
  thresholdAdc: number;
}

/** How the SPE charges are read: waveforms integrated here, or the FPGA's charge stamps. */
export type GainConfiguration = 'waveform' | 'chargestamp';

/**
 * Threshold-triggered SPE charges on one channel, from waveforms or (configuration
 * `chargestamp`) from charge stamps. The rate is counted within blocks only ((records − 1) over
 * the span of their timestamps), since the gaps between reads are not live time.
 * `firstBlockOnly` stops after one block: enough for the rate check.
 */
export async function acquire(
  s: IcebootSession,
  ch: PmtChannel,
  m: ActiveModule,
  events: number,
  ctx: Pick<TaskContext, 'signal'>,
  firstBlockOnly: boolean,
  configuration: GainConfiguration = 'waveform',
): Promise<Acquisition> {
  const baselineAdc = await gainBaseline(s, ch, m);
  const thresholdAdc = Math.round(baselineAdc + GAIN.thresholdOverBaselineAdc);
  await s.setConstReadout(ch, GAIN.samples);
  await s.startThresholdTrigStream(ch, thresholdAdc);
  if (configuration === 'chargestamp') return acquireStamps(s, ch, events, ctx, firstBlockOnly, baselineAdc, thresholdAdc);
  const charges: number[] = [];
  const amps: number[] = [];
  const read = await readBlocks(ctx, s, ch, events, firstBlockOnly, async (ts, rate) => {
    const b = await s.readWaveformBlock(GAIN.blockBytes, {
      expectChannel: ch,
      expectSamples: GAIN.samples,
      timeoutMs: GAIN.blockTimeoutMs,
    });
    if (!b.count) return false;
    const q = waveformCharges(b.adc, b.count, GAIN.samples, baselineAdc);
    for (let i = 0; i < b.count && ts.length < events; i++) {
      charges.push(q[i]);
      ts.push(b.timestamp[i]);
      let max = -Infinity;
      const off = i * GAIN.samples;
      for (let k = 0; k < GAIN.samples; k++) if (b.adc[off + k] > max) max = b.adc[off + k];
      amps.push(max - baselineAdc);
    }
    rate.block(b.timestamp[0], b.timestamp[b.count - 1], b.count);
    return true;
  });
  return {
    charges: Float64Array.from(charges),
    amplitudesAdc: Float64Array.from(amps),
    timestampsTicks: Float64Array.from(read.ts),
    rateHz: read.rateHz,
    baselineAdc,
    thresholdAdc,
  };
}

/**
 * The trigger rate counted within blocks only: (records − 1) over the span of each block's
 * timestamps, summed, since the gaps between reads are not live time.
 */
function liveRate() {
  let ticks = 0;
  let records = 0;
  return {
    /** a block's first and last timestamp (240 MHz ticks) and how many records it spans */
    block(first: number, last: number, n: number) {
      if (n > 1) {
        ticks += last - first;
        records += n - 1;
      }
    },
    hz: () => (ticks > 0 ? records / (ticks / 240e6) : 0),
  };
}

type LiveRate = ReturnType<typeof liveRate>;

/**
 * Reads blocks with `read` until it has kept `events` timestamps in `ts` (only the first block that
 * counts with `firstBlockOnly`; `read` says whether its block counts and adds it to `rate`), then
 * disables the channel's triggers, also on an error.
 */
async function readBlocks(
  ctx: Pick<TaskContext, 'signal'>,
  s: IcebootSession,
  ch: PmtChannel,
  events: number,
  firstBlockOnly: boolean,
  read: (ts: number[], rate: LiveRate) => Promise<boolean>,
): Promise<{ ts: number[]; rateHz: number }> {
  const ts: number[] = [];
  const rate = liveRate();
  try {
    while (ts.length < events) {
      ctx.signal.throwIfAborted();
      if ((await read(ts, rate)) && firstBlockOnly) break;
    }
  } finally {
    await s.disableTriggers(ch);
  }
  return { ts, rateHz: rate.hz() };
}

/**
 * The charge-stamp form of `acquire` (the original's configuration 'stamp'): `5600 10 15
 * readDEggChargeBlock` blocks of up to 400 stamps, the charge integrated by the FPGA over
 * [peak - 10, peak + 15] samples. No waveforms, so no amplitudes: the SPE peak height then comes
 * from the charge (spePeakHeightAt1e7).
 */
async function acquireStamps(
  s: IcebootSession,
  ch: PmtChannel,
  events: number,
  ctx: Pick<TaskContext, 'signal'>,
  firstBlockOnly: boolean,
  baselineAdc: number,
  thresholdAdc: number,
): Promise<Acquisition> {
  const charges: number[] = [];
  const read = await readBlocks(ctx, s, ch, events, firstBlockOnly, async (ts, rate) => {
    const b = await s.readChargeBlock(14 * Math.min(GAIN.stampsPerBlock, events - ts.length), 10, 15, GAIN.blockTimeoutMs);
    const first = ts.length;
    for (let i = 0; i < b.count; i++) {
      if (b.flags[i] || b.channel[i] !== ch) continue;
      charges.push(b.chargePc[i]);
      ts.push(b.timestamp[i]);
    }
    rate.block(ts[first], ts[ts.length - 1], ts.length - first);
    return true;
  });
  return {
    charges: Float64Array.from(charges),
    amplitudesAdc: new Float64Array(0),
    timestampsTicks: Float64Array.from(read.ts),
    rateHz: read.rateHz,
    baselineAdc,
    thresholdAdc,
  };
}

/** Where a point was taken: the module, the PMT, its HV; `channel` only where the caller's file has it (the gain check's). */
export interface PointAt {
  m: ActiveModule;
  pmt: PmtName;
  pmtSerial: string;
  channel?: PmtChannel;
  hvVolts: number;
  /** lab time of the point (ms) */
  timeMs: number;
}

/** One HV point's raw data: `<PMT>_<HV>V.hdf5` (layout in docs/raw-data.md). */
export function writePoint(file: string, a: Acquisition, at: PointAt): Promise<void> {
  return writeHdf5(file, {
    attrs: {
      ...pmtFileAttrs(at.m, at.pmt, at.pmtSerial),
      ...(at.channel === undefined ? {} : { channel: at.channel }),
      hv_volts: at.hvVolts,
      dac: GAIN.dac,
      samples: GAIN.samples,
      baseline_adc: a.baselineAdc,
      threshold_adc: a.thresholdAdc,
      trigger_rate_hz: a.rateHz,
      time: new Date(at.timeMs).toISOString(),
      charge_window: 'samples 13..28, pC = sum(adc - baseline) * 0.075 mV / 240 MHz / 36.96 ohm',
    },
    datasets: {
      charge_pc: { data: a.charges, attrs: { units: 'pC' } },
      // charge stamps carry no amplitude
      ...(a.amplitudesAdc.length ? { amplitude_adc: { data: a.amplitudesAdc, attrs: { units: 'ADC counts above baseline' } } } : {}),
      timestamp_ticks: { data: a.timestampsTicks, attrs: { units: '240 MHz FPGA clock ticks' } },
    },
  });
}

/** One SPE point of a gain scan or check: the gain from the charge fit at an HV. */
export interface SpePoint {
  hvVolts: number;
  gain: number;
  gainError: number;
  peakPc: number;
  sigmaPc: number;
  baselineAdc: number;
  thresholdAdc: number;
  rateHz: number;
  events: number;
  /** fitted SPE amplitude in ADC counts above the baseline, NaN when the fit failed */
  peakHeightAdc: number;
  file: string;
}

/** A usable SPE fit: converged, to a finite positive gain. */
export const speConverged = (spe: SpeFit) => spe.fit.converged && spe.gain > 0 && Number.isFinite(spe.gain);

/** The point of acquisition `a` at `hvVolts` with its SPE fit `spe` (written to `file`). */
export function spePoint(hvVolts: number, a: Acquisition, spe: SpeFit, file: string): SpePoint {
  return {
    hvVolts,
    gain: spe.gain,
    gainError: Number.isFinite(spe.gainError) ? spe.gainError : 0,
    peakPc: spe.peakPc,
    sigmaPc: spe.sigmaPc,
    baselineAdc: a.baselineAdc,
    thresholdAdc: a.thresholdAdc,
    rateHz: a.rateHz,
    events: a.charges.length,
    peakHeightAdc: fitPeakHeightAdc(a.amplitudesAdc),
    file,
  };
}

/**
 * Sets the HV of the given channels (enabling those that are off) and waits: 40 s from off, 15 s
 * for a step, then 5 s at a time (up to 6 times) until every readback is within 10 V.
 */
export async function setHvAndWait(
  ctx: Pick<TaskContext, 'signal' | 'ws'>,
  s: IcebootSession,
  targets: Array<{ ch: PmtChannel; hvVolts: number }>,
): Promise<void> {
  let fromOff = false;
  for (const x of targets) {
    const rb = (await s.hvReadback(x.ch)).hvVolts;
    if (!(await s.hvEnabled(x.ch)) || rb <= GAIN.hvOnVolts) {
      fromOff = true;
      await s.enableHV(x.ch);
    }
    await s.setHV(x.ch, x.hvVolts);
  }
  await ctx.ws.clock.sleep((fromOff ? GAIN.hvRampFromOffS : GAIN.hvStepWaitS) * 1000, ctx.signal);
  for (let tries = 0; tries < 6; tries++) {
    let settled = true;
    for (const x of targets) if (Math.abs((await s.hvReadback(x.ch)).hvVolts - x.hvVolts) > GAIN.hvSettledVolts) settled = false;
    if (settled) return;
    await ctx.ws.clock.sleep(5000, ctx.signal);
  }
}

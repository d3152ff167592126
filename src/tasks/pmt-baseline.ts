import { median, medianOfWaveformMeans } from '../analysis/dark-rate.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import type { ActiveModule } from './types.js';

/**
 * A PMT's baseline as the original measured it before a measurement: software-triggered
 * waveforms at the measurement's DAC, the median of their mean ADC values.
 */
export async function measureBaseline(
  s: IcebootSession,
  ch: PmtChannel,
  m: ActiveModule,
  c: { dac: number; baselineSamples: number; baselineSwPeriodMs: number; baselineWaveforms: number },
): Promise<number> {
  await s.setBaselineDac(ch, c.dac);
  await s.setConstReadout(ch, c.baselineSamples);
  await s.startSwTrigStream(ch, c.baselineSwPeriodMs);
  const means: number[] = [];
  try {
    for (let i = 0; i < c.baselineWaveforms; i++) {
      const w = await s.readWaveformFromStream();
      if (w.count) means.push(medianOfWaveformMeans(w.adc, w.adcOffset, w.count));
    }
  } finally {
    await s.disableTriggers(ch);
  }
  if (!means.length) throw new Error(`${m.serial} on port ${m.port}, channel ${ch}: no software-triggered waveform for the baseline`);
  return median(means);
}

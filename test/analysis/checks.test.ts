import { describe, expect, it } from 'vitest';
import { analyseLaserSync, TICKS_PER_SECOND } from '../../src/analysis/laser-sync.js';
import { analyseVisibility, PC_PER_ADC_SAMPLE, waveformCharges } from '../../src/analysis/visibility.js';

const ticks = (secs: number[]) => Float64Array.from(secs, (s) => s * TICKS_PER_SECOND);

describe('laser sync analysis', () => {
  it('passes 1000 stamps at 100 Hz with small jitter', () => {
    const t = ticks(Array.from({ length: 1000 }, (_, i) => 5 + i * 0.01 + (i % 3) * 1e-6));
    const r = analyseLaserSync(t, 100);
    expect(r).toMatchObject({ stamps: 1000, intervals: 999, withinTolerance: 999, pass: true });
    expect(r.medianPeriodMs).toBeCloseTo(10, 2);
  });
  it('fails when one interval too many is off, and reports the median period seen', () => {
    const s = Array.from({ length: 1000 }, (_, i) => i * 0.01);
    s[500] += 0.002; // two intervals disturbed
    const r = analyseLaserSync(ticks(s), 100);
    expect(r.withinTolerance).toBe(997);
    expect(r.pass).toBe(false);
  });
  it('fails at the wrong frequency', () => {
    const r = analyseLaserSync(ticks(Array.from({ length: 100 }, (_, i) => i * 0.002)), 100);
    expect(r.pass).toBe(false);
    expect(r.medianPeriodMs).toBeCloseTo(2, 3);
  });
  it('no stamps is not a pass', () => {
    expect(analyseLaserSync(new Float64Array(0), 100).pass).toBe(false);
  });
});

describe('visibility analysis', () => {
  it('a PMT triggering every 10 ms sees the laser; one triggering every 50 ms does not', () => {
    const seen = analyseVisibility(ticks(Array.from({ length: 300 }, (_, i) => i * 0.01)), new Float64Array(300).fill(16.02));
    expect(seen.visible).toBe(true);
    expect(seen.rateHz).toBeCloseTo(100, 6);
    expect(seen.meanNpe).toBeCloseTo(10, 6);
    const blind = analyseVisibility(ticks(Array.from({ length: 20 }, (_, i) => i * 0.05)), new Float64Array(20));
    expect(blind.visible).toBe(false);
  });
  it('integrates charge over samples 13..28 above the baseline', () => {
    const samples = 32;
    const adc = new Uint16Array(2 * samples).fill(8000);
    adc[16] = 8100; // record 0: one sample 100 ADC above baseline inside the window
    adc[samples + 2] = 9000; // record 1: outside the window
    const q = waveformCharges(adc, 2, samples, 8000);
    expect(q[0]).toBeCloseTo(100 * PC_PER_ADC_SAMPLE, 9);
    expect(q[1]).toBe(0);
    // 1.602 pC is about 189 ADC-samples: the SPE at gain 1e7
    expect(1.602 / PC_PER_ADC_SAMPLE).toBeGreaterThan(185);
    expect(1.602 / PC_PER_ADC_SAMPLE).toBeLessThan(195);
  });
});

import { describe, expect, it } from 'vitest';
import {
  analyseScaler,
  darkRateWarning,
  deadTimeCorrectedRates,
  firThreshold,
  FIR_COEFFICIENTS,
  median,
  medianOfWaveformMeans,
  rateStats,
  scalerThreshold,
} from '../../src/analysis/dark-rate.js';

describe('dark rate from scaler windows', () => {
  it('corrects each window for dead time: count / (period − count·deadtime)', () => {
    const r = deadTimeCorrectedRates(Uint32Array.from([0, 500, 1000]), 0.1, 100e-9);
    expect(r[0]).toBe(0);
    expect(r[1]).toBeCloseTo(500 / (0.1 - 500 * 100e-9), 9);
    expect(r[2]).toBeCloseTo(1000 / (0.1 - 1e-4), 9);
    // a window whose counts fill the whole period is infinite, never negative
    expect(deadTimeCorrectedRates([2e6], 0.1, 100e-9)[0]).toBe(Infinity);
  });

  it('mean, sample std and median over windows; 24 cycles of 240 MHz are 100 ns', () => {
    const s = rateStats(Float64Array.from([1, 2, 3, 4, 100]));
    expect(s.meanHz).toBe(22);
    expect(s.medianHz).toBe(3);
    expect(s.stdHz).toBeCloseTo(Math.sqrt((21 ** 2 + 20 ** 2 + 19 ** 2 + 18 ** 2 + 78 ** 2) / 4), 9);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(rateStats([]).windows).toBe(0);
    const a = analyseScaler(Uint32Array.from([700, 700, 700]), 0.1, 24);
    expect(a.meanHz).toBeCloseTo(700 / (0.1 - 700 * 1e-7), 6);
    expect(a.stdHz).toBeCloseTo(0, 6);
    expect(a.medianCount).toBe(700);
  });

  it('threshold at 0.25 PE from SPEPeakHeight as the original: ceil(h·0.25/0.075 mV)', () => {
    expect(scalerThreshold(0.0036).thresholdAdc).toBe(12);
    expect(scalerThreshold(0.0037).thresholdAdc).toBe(13);
    expect(scalerThreshold(0.003).thresholdAdc).toBe(10);
    expect(scalerThreshold(0.0036).assumedSpe).toBe(false);
  });

  it('an unknown SPEPeakHeight (-1) assumes 48 ADC per PE and says so; nonsense is refused', () => {
    const t = scalerThreshold(-1);
    expect(t).toMatchObject({ thresholdAdc: 12, assumedSpe: true });
    expect(t.spePeakHeightV).toBeCloseTo(0.0036, 9);
    expect(t.note).toContain('48 ADC per PE');
    expect(() => scalerThreshold(0.02)).toThrow(/outside 1-10 mV/);
    expect(() => scalerThreshold(0.0005)).toThrow(/check the gain analysis/);
  });

  it("warning levels follow the original's table by mainboard temperature and trigger", () => {
    expect(darkRateWarning(-40, 'fir')).toMatchObject({ normalHz: 2600, warnHz: 4000 });
    expect(darkRateWarning(-12, 'fir')).toMatchObject({ normalHz: 3300, warnHz: 4800 });
    expect(darkRateWarning(-0.5, 'adc')).toMatchObject({ normalHz: 5000, warnHz: 8000 });
    expect(darkRateWarning(22, 'fir')).toMatchObject({ normalHz: 6500, warnHz: 11000 });
    expect(darkRateWarning(22, 'adc')).toMatchObject({ normalHz: 8200, warnHz: 14000 });
    expect(darkRateWarning(-20, 'adc')).toMatchObject({ normalHz: 3500, warnHz: 6000, band: 'below -12 °C' });
  });

  it('FIR trigger: a two-sample sum, threshold int(thr·2)·16', () => {
    expect(FIR_COEFFICIENTS).toHaveLength(16);
    expect(FIR_COEFFICIENTS.reduce((a, b) => a + b, 0)).toBe(2);
    expect(FIR_COEFFICIENTS[10]).toBe(1);
    expect(firThreshold(12)).toBe(384);
  });

  it('baseline: median of per-waveform means, robust to a waveform with a big pulse', () => {
    const adc = Uint16Array.from([8000, 8002, 8010, 8012, 9000, 9000, 8001, 8001]);
    const offsets = Uint32Array.from([0, 2, 4, 6, 8]);
    expect(medianOfWaveformMeans(adc, offsets, 4)).toBe(8006);
  });
});

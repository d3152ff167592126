import { describe, expect, it } from 'vitest';
import { analyseGainScan, spePeakHeightAt1e7, type GainPointData } from '../../src/analysis/gain-offline.js';
import { ELEMENTARY_CHARGE_C } from '../../src/analysis/gaussian-fit.js';

/** deterministic normal deviates (LCG + Box-Muller) */
function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** a scan of a PMT with G = A·V^k: SPE charges with 30% resolution and amplitudes of 45 ADC at 1e7 */
function scan(k: number, hv1e7: number, hvs: number[], n = 4000): GainPointData[] {
  const normal = rng(11);
  const a = 1e7 / hv1e7 ** k;
  return hvs.map((hv) => {
    const gain = a * hv ** k;
    const peakPc = (gain * ELEMENTARY_CHARGE_C) / 1e-12;
    const amp = 45 * (gain / 1e7);
    const chargesPc = new Float64Array(n);
    const amplitudesAdc = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      chargesPc[i] = peakPc * (1 + 0.3 * normal());
      amplitudesAdc[i] = amp * (1 + 0.2 * normal());
    }
    return { hvVolts: hv, chargesPc, amplitudesAdc };
  });
}

describe('offline gain analysis', () => {
  it('recovers V(1e7), the exponent and the SPE peak height of a synthetic scan', () => {
    const r = analyseGainScan(scan(7.2, 1420, [1300, 1340, 1380, 1420, 1460, 1500]), 3.95);
    expect(r.rejected).toEqual([]);
    expect(r.points).toHaveLength(6);
    expect(r.hvMethod).toBe('power-law');
    expect(Math.abs(r.hvAt1e7Volts / 1420 - 1)).toBeLessThan(0.005);
    expect(r.fit.exponent).toBeGreaterThan(6.7);
    expect(r.fit.exponent).toBeLessThan(7.7);
    // 45 ADC × 0.075 mV
    expect(r.spePeakHeight.method).toBe('amplitude-fit');
    expect(r.spePeakHeight.volts).toBeCloseTo(45 * 0.075e-3, 4);
  });

  it('a single point gives its own HV; no points is an error that says so', () => {
    const r = analyseGainScan(scan(7, 1500, [1480]), 3.95);
    expect(r.hvMethod).toBe('closest-point');
    expect(r.hvAt1e7Volts).toBe(1480);
    expect(() => analyseGainScan([], 3.95)).toThrow('the scan has no points');
    const empty = [{ hvVolts: 1500, chargesPc: new Float64Array(3), amplitudesAdc: new Float64Array(3) }];
    expect(() => analyseGainScan(empty, 3.95)).toThrow(/1500 V: only 3 waveforms/);
  });

  it('without amplitude fits the peak height comes from the SPE charge', () => {
    const h = spePeakHeightAt1e7([{ gain: 1e7, peakHeightAdc: NaN }], 3.95);
    expect(h.method).toBe('charge');
    expect(h.volts).toBeGreaterThan(0.001);
    expect(h.volts).toBeLessThan(0.01);
  });
});

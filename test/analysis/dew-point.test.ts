import { describe, expect, it } from 'vitest';
import { dewOrFrostPointC, saturationOverIceHpa, saturationOverWaterHpa } from '../../src/analysis/dew-point.js';

describe('dew and frost point', () => {
  it('matches tabulated dew points of room air', () => {
    // psychrometric tables: 20 °C at 50 %RH has its dew point at 9.3 °C, 25 °C at 60 % at 16.7 °C
    expect(dewOrFrostPointC(20, 50)).toBeCloseTo(9.3, 1);
    expect(dewOrFrostPointC(25, 60)).toBeCloseTo(16.7, 1);
    expect(dewOrFrostPointC(15, 100)).toBeCloseTo(15, 6);
  });

  it('gives the frost point below 0 °C, a little above the dew point over supercooled water', () => {
    // 20 °C at 10 %RH: about 2.3 hPa of vapour, which saturates over ice near -11.8 °C
    const f = dewOrFrostPointC(20, 10);
    expect(f).toBeLessThan(0);
    expect(saturationOverIceHpa(f)).toBeCloseTo(0.1 * saturationOverWaterHpa(20), 6);
    expect(f).toBeGreaterThan(-12.5);
    expect(f).toBeLessThan(-11);
  });

  it('has no dew point for dry air', () => {
    expect(dewOrFrostPointC(20, 0)).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { analyseLinearity, chargeToPe, LINEARITY_FILTER_PAIRS, LINEARITY_THRESHOLDS_ADC } from '../../src/analysis/linearity.js';
import { SPE_CHARGE_PC_AT_1E7 } from '../../src/analysis/visibility.js';

const transmissions = LINEARITY_FILTER_PAIRS.map(([a, b]) => a * b);

/** a PMT that saturates as n / (1 + n / nSat) */
const saturating = (nSat: number) => (n: number) => n / (1 + n / nSat);

describe('linearity over the 10 filter settings', () => {
  it('has the original settings: products 0.01 … 1.0 and one threshold each', () => {
    expect(transmissions.map((t) => Number(t.toFixed(4)))).toEqual([0.01, 0.025, 0.05, 0.1, 0.125, 0.16, 0.25, 0.32, 0.5, 1.0]);
    expect(LINEARITY_THRESHOLDS_ADC).toHaveLength(10);
  });

  it('finds ratio 1 at 200 PE for a linear PMT', () => {
    const observed = transmissions.map((t) => 800 * t);
    const r = analyseLinearity(transmissions, observed);
    expect(r.referenceIndex).toBe(0);
    expect(r.ratioAtPe).toBeCloseTo(1, 12);
    for (const p of r.points) expect(p.ratio).toBeCloseTo(1, 12);
  });

  it('measures the charge ratio at 200 PE on a saturating curve', () => {
    const pmt = saturating(300);
    const truePe = transmissions.map((t) => 1000 * t);
    const observed = truePe.map(pmt);
    const r = analyseLinearity(transmissions, observed);
    // the reference (10 PE) is itself 3% saturated; expected PE are scaled from it
    const ref = pmt(10) / 10;
    const at200 = pmt(200 / ref) / 200;
    expect(r.ratioAtPe).toBeGreaterThan(at200 - 0.03);
    expect(r.ratioAtPe).toBeLessThan(at200 + 0.03);
    expect(r.ratioAtPe).toBeLessThan(0.8);
    // the ratio falls with light
    const sorted = [...r.points].sort((a, b) => a.expectedPe - b.expectedPe);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].ratio).toBeLessThanOrEqual(sorted[i - 1].ratio);
    // a PMT saturating far above 200 PE passes the original's ≥ 0.6
    expect(analyseLinearity(transmissions, truePe.map(saturating(3000))).ratioAtPe).toBeGreaterThan(0.9);
  });

  it('takes settings in any order and a chosen reference, and says NaN when 200 PE was not reached', () => {
    const order = [9, 3, 0, 5, 1, 8, 2, 7, 4, 6];
    const t = order.map((i) => transmissions[i]);
    const r = analyseLinearity(
      t,
      t.map((x) => 500 * x),
      { referenceIndex: 1 },
    );
    expect(r.referenceIndex).toBe(1);
    expect(r.ratioAtPe).toBeCloseTo(1, 12);
    expect(
      analyseLinearity(
        t,
        t.map((x) => 100 * x),
      ).ratioAtPe,
    ).toBeNaN();
    expect(() => analyseLinearity(t, [1, 2])).toThrow(/10 transmissions but 2/);
  });

  it('turns charge into photoelectrons at the SPE charge', () => {
    expect(chargeToPe(SPE_CHARGE_PC_AT_1E7 * 200)).toBeCloseTo(200, 9);
    expect(chargeToPe(16, 1.6)).toBe(10);
  });
});

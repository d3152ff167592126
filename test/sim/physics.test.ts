import { describe, expect, it } from 'vitest';
import { simPorts } from '../../src/sim/layout.js';
import { buildLabTruth, darkFractionAbove, darkRateHz, gainAt, peakAdcPerPe, speChargeC, truthJson } from '../../src/sim/physics.js';

const ports = simPorts(5000);

describe('lab truth', () => {
  it('is the same for the same seed and different for another', () => {
    const a = buildLabTruth(42, ports);
    const b = buildLabTruth(42, ports);
    const c = buildLabTruth(43, ports);
    expect(b).toEqual(a);
    expect(c.modules[0].pmts[0].hv1e7Volts).not.toBe(a.modules[0].pmts[0].hv1e7Volts);
    expect(JSON.stringify(truthJson(b))).toBe(JSON.stringify(truthJson(a)));
  });

  it('has 16 D-Eggs on the DomNet ports and a tabletop board', () => {
    const t = buildLabTruth(7, ports);
    expect(t.modules).toHaveLength(16);
    expect(t.modules.map((m) => m.port)).toEqual(Array.from({ length: 16 }, (_, i) => 5000 + i));
    expect(t.modules[6]).toMatchObject({ wirePair: 1, address: 2, port: 5006 });
    expect(t.tabletop.port).toBe(ports.tabletop);
    expect(new Set(t.modules.map((m) => m.deggSerial)).size).toBe(16);
    for (const m of t.modules) {
      expect(m.icmId).toMatch(/^[0-9a-f]{16}$/);
      expect(m.flashId).toHaveLength(32);
      expect(m.mainboardNumber).toMatch(/^4\.1-\d{3}$/);
      expect(m.pressureHpa).toBeGreaterThanOrEqual(300);
      expect(m.pressureHpa).toBeLessThanOrEqual(600);
      expect(m.fpgaVersion).toBe(272);
      expect(m.softwareVersion).toBe(62);
      expect(m.pmts.map((p) => p.name)).toEqual(['LowerPmt', 'UpperPmt']);
    }
  });

  it('keeps every PMT inside the ranges the FAT expects', () => {
    for (const seed of [1, 2, 3]) {
      for (const m of buildLabTruth(seed, ports).modules) {
        for (const p of m.pmts) {
          expect(p.gainK).toBeGreaterThanOrEqual(6.5);
          expect(p.gainK).toBeLessThanOrEqual(8.5);
          expect(p.hv1e7Volts).toBeGreaterThanOrEqual(1250);
          expect(p.hv1e7Volts).toBeLessThanOrEqual(1550);
          expect(gainAt(p, p.hv1e7Volts) / 1e7).toBeCloseTo(1, 6);
          expect(p.baselineAtDac30000Adc).toBeGreaterThan(8000);
          expect(p.baselineAtDac30000Adc).toBeLessThan(8035);
          expect(p.fibreTransmission).toBeGreaterThanOrEqual(0.6);
          expect(p.fibreTransmission).toBeLessThanOrEqual(1);
          expect(darkRateHz(p, -40)).toBeGreaterThanOrEqual(1000);
          expect(darkRateHz(p, -40)).toBeLessThanOrEqual(2500);
          expect(darkRateHz(p, -20)).toBeGreaterThan(1500);
          expect(darkRateHz(p, -20)).toBeLessThan(4500);
          expect(darkRateHz(p, 20)).toBeGreaterThanOrEqual(6000 - 1e-6);
          expect(darkRateHz(p, 20)).toBeLessThanOrEqual(10000 + 1e-6);
        }
      }
    }
  });

  it('gives 1.602 pC and about 3.5 mV per photoelectron at gain 1e7', () => {
    expect(speChargeC(1e7) * 1e12).toBeCloseTo(1.602, 3);
    const mV = peakAdcPerPe(1e7) * 0.075;
    expect(mV).toBeGreaterThan(3.3);
    expect(mV).toBeLessThan(3.8);
    // nearly every dark pulse clears 0.25 PE, few clear 3 PE
    expect(darkFractionAbove(0.25, 0.3)).toBeGreaterThan(0.9);
    expect(darkFractionAbove(3, 0.3)).toBeLessThan(0.05);
  });

  it('evaluates the dark-rate law in the JSON view', () => {
    const j = truthJson(buildLabTruth(5, ports));
    const p = j.modules[3].pmts[1];
    expect(p.darkRate.rateAt['-40']).toBeCloseTo(p.darkRate.r40Hz, 6);
    expect(p.hvAt1e7Volts).toBeGreaterThan(1000);
    expect(typeof p.A).toBe('number');
    expect(j.tabletop.note).toMatch(/sync/);
  });
});

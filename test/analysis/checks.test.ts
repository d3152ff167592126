import { describe, expect, it } from 'vitest';
import { analyseLaserSync, TICKS_PER_SECOND } from '../../src/analysis/laser-sync.js';
import { analyseVisibility, PC_PER_ADC_SAMPLE, waveformCharges } from '../../src/analysis/visibility.js';
import { Rng } from '../../src/sim/rng.js';

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
  const laserHz = 100;
  /** laser shots every 10 ms for `shots` shots (a fraction `seen` of them triggering), plus dark pulses at `darkHz` */
  function triggers(shots: number, seen: number, darkHz: number): Float64Array {
    const t: number[] = [];
    let x = 0.123;
    const rnd = () => (x = (x * 9301 + 49297) % 233280) / 233280;
    for (let i = 0; i < shots; i++) if (rnd() < seen) t.push(3.0007 + i / laserHz + rnd() * 2e-9);
    const spanS = shots / laserHz;
    for (let k = 0; k < darkHz * spanS; k++) t.push(3 + rnd() * spanS);
    return ticks(t.sort((a, b) => a - b));
  }

  it('sees the laser when most shots trigger, even under a dark rate 50 times the laser rate', () => {
    const t = triggers(100, 0.95, 5000);
    const r = analyseVisibility(t, new Float64Array(t.length).fill(16.02), laserHz);
    expect(r.visible).toBe(true);
    expect(r.efficiency).toBeGreaterThan(0.85);
    expect(r.darkRateHz).toBeGreaterThan(4000);
    expect(r.darkRateHz).toBeLessThan(6000);
  });

  it('does not see it through a broken fibre, however many dark pulses cross the threshold', () => {
    const t = triggers(100, 0, 10000);
    const r = analyseVisibility(t, new Float64Array(t.length), laserHz);
    expect(r.visible).toBe(false);
    expect(r.efficiency).toBeLessThan(0.25);
  });

  it('keeps seeing the laser when the generator runs 20 ppm off the mainboard clock', () => {
    const t = ticks(Array.from({ length: 200 }, (_, i) => 1 + (i / laserHz) * (1 + 20e-6)));
    expect(analyseVisibility(t, new Float64Array(200), laserHz).efficiency).toBeGreaterThan(0.98);
  });

  it('reports the charge of the laser-locked triggers only', () => {
    const t = triggers(60, 1, 0);
    const q = new Float64Array(t.length).fill(16.02);
    const r = analyseVisibility(t, q, laserHz);
    expect(r.meanNpe).toBeCloseTo(10, 6);
    expect(r.laserEvents).toBe(60);
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

describe('visibility across separately read blocks', () => {
  it('counts laser shots only within the blocks, not in the gaps between reads', () => {
    // two blocks of 50 shots each, 3 s apart: every shot seen
    const a = Array.from({ length: 50 }, (_, i) => 1 + i * 0.01);
    const b = Array.from({ length: 50 }, (_, i) => 4.5 + i * 0.01);
    const t = ticks([...a, ...b]);
    const q = new Float64Array(100);
    expect(analyseVisibility(t, q, 100, [0, 50]).efficiency).toBeGreaterThan(0.98);
    // read as one block, the gap would look like 300 missed shots
    expect(analyseVisibility(t, q, 100).efficiency).toBeLessThan(0.3);
  });
});

describe('visibility in short blocks under a high dark rate', () => {
  /**
   * What `fat check visibility` reads from a noisy PMT: blocks of 250 threshold triggers (one
   * 66000-byte read), each spanning only a few laser periods at a dark rate of 6.7 kHz, 533 ns dead
   * after every trigger, a few ms lost between reads. `seen`: the fraction of shots that trigger;
   * the generator runs `ppm` off the mainboard's clock.
   */
  function acquisition(rng: Rng, seen: number, darkHz = 6700, ppm = 0) {
    const period = (TICKS_PER_SECOND / 100) * (1 + ppm * 1e-6);
    // [time, charge]: the laser's pulses carry 100 PE, dark pulses 1 PE
    const raw: Array<[number, number]> = [];
    for (let k = 0; k < 80; k++) if (rng.next() < seen) raw.push([1e6 + k * period + rng.normal(0, 0.5), 160.2]);
    for (let t = rng.exponential(darkHz / TICKS_PER_SECOND); t < 80 * period; t += rng.exponential(darkHz / TICKS_PER_SECOND))
      raw.push([t, 1.602]);
    raw.sort((a, b) => a[0] - b[0]);
    const ts: number[] = [];
    const q: number[] = [];
    const blockStarts: number[] = [];
    let dead = -Infinity;
    let readUntil = 0;
    for (const [t, charge] of raw) {
      if (t < dead) continue;
      if (ts.length === readUntil) {
        // a new read: the module dropped what came while nobody read
        if (ts.length && t - ts[ts.length - 1] < 0.005 * TICKS_PER_SECOND) continue;
        blockStarts.push(ts.length);
        readUntil += 250;
      }
      ts.push(t);
      q.push(charge);
      dead = t + 128;
    }
    return { ts: Float64Array.from(ts), q: Float64Array.from(q), blockStarts };
  }

  it('never counts more laser-locked triggers than laser shots (fat check visibility printed 88/64)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = acquisition(new Rng(seed), 1);
      const r = analyseVisibility(a.ts, a.q, 100, a.blockStarts);
      expect(a.blockStarts.length).toBeGreaterThan(10);
      expect(r.laserEvents, `seed ${seed}`).toBeLessThanOrEqual(r.laserShots);
      expect(r.efficiency, `seed ${seed}`).toBeGreaterThan(0.85);
      expect(r.visible).toBe(true);
    }
  });

  it('does not take chance coincidences of dark pulses for the laser when the fibre is broken', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = acquisition(new Rng(seed), 0);
      const r = analyseVisibility(a.ts, a.q, 100, a.blockStarts);
      expect(r.visible, `seed ${seed}`).toBe(false);
      expect(r.efficiency, `seed ${seed}`).toBeLessThan(0.1);
    }
  });

  it('measures a partly seen laser at 12 kHz of dark pulses, 20 ppm off the mainboard clock', () => {
    const a = acquisition(new Rng(7), 0.7, 12000, 20);
    const r = analyseVisibility(a.ts, a.q, 100, a.blockStarts);
    // blocks of 250 triggers span two periods here: only one grid over all blocks finds the laser
    expect(a.ts.length / a.blockStarts.length).toBeGreaterThan(200);
    expect(r.laserEvents).toBeLessThanOrEqual(r.laserShots);
    expect(r.efficiency).toBeGreaterThan(0.6);
    expect(r.efficiency).toBeLessThan(0.8);
    expect(r.meanNpe).toBeCloseTo(100, 6); // the charge of the laser's triggers only
    expect(r.visible).toBe(true);
  });
});

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

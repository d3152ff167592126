import { describe, expect, it } from 'vitest';
import {
  analyseRapcal,
  deggTicksToHubS,
  fineDelaySamples,
  rapcalPair,
  RapcalError,
  type RapcalExchange,
} from '../../src/analysis/rapcal.js';
import { shotDifferencesNs, STAMP_TICK_NS, TIMING_WINDOW_NS, timingSpread } from '../../src/analysis/timing.js';
import { Rng } from '../../src/sim/rng.js';

/**
 * A received RapCal pulse as the client's arrays hold it: a straight falling edge through the
 * baseline at sample `cross` (30 MHz samples), the trigger high from sample `trig` on.
 */
function wave(cross: number, trig: number): { w: number[]; t: number[] } {
  const w = Array.from({ length: 64 }, (_, n) => 1000 - 300 * Math.max(-3, Math.min(3, n - cross)) * (Math.abs(n - cross) < 8 ? 1 : 0));
  return { w, t: Array.from({ length: 64 }, (_, n) => (n >= trig ? 1 : 0)) };
}

/**
 * One exchange between a hub (counts = hub time) and an ICM counting (1 + drift) as fast with
 * `offset`, over a cable of `delay` counts: the latched counts sit `lag` samples after the crossings.
 */
function exchange(hubStart: number, drift: number, offset: number, delay: number, lag = 3): RapcalExchange {
  const icm = (h: number) => h * (1 + drift) + offset;
  const txDor = hubStart;
  const atDom = icm(txDor + delay);
  const txDom = Math.ceil(atDom) + 100;
  const atDor = (txDom - offset) / (1 + drift) + delay;
  // samples at even counts; the waveform's crossing at index c + 1 (the client drops sample 0)
  const side = (arrival: number) => {
    const first = 2 * Math.floor(arrival / 2) - 80;
    const cross = (arrival - first) / 2;
    const { w, t } = wave(cross, Math.floor(cross) + lag);
    return { w, t, latched: first + 2 * (Math.floor(cross) + lag + 1) };
  };
  const dom = side(atDom);
  const dor = side(atDor);
  return {
    txDor,
    rxDom: dom.latched,
    txDom,
    rxDor: dor.latched,
    domWaveform: dom.w,
    domTrigger: dom.t,
    dorWaveform: dor.w,
    dorTrigger: dor.t,
  };
}

describe("RapCal (the public client's arithmetic)", () => {
  it('finds the falling zero crossing by a straight line through the three samples before it', () => {
    for (const cross of [30.0, 30.25, 30.5, 30.99]) {
      const { w, t } = wave(cross, 33);
      // the client drops sample 0: the crossing is at cross - 1 in its indices, the trigger at 33
      expect(fineDelaySamples(w, t)).toBeCloseTo(33 - (cross - 1), 9);
    }
    expect(() => fineDelaySamples(Array<number>(64).fill(1000), Array<number>(64).fill(0))).toThrow(RapcalError);
  });

  it('turns two exchanges into the ICM rate, the cable delay and hub time', () => {
    const drift = 2.5e-6;
    const offset = 7.3e12 + 0.37;
    const delay = 48.2; // counts of 60 MHz: 803 ns
    const rc0 = analyseRapcal(exchange(1e13, drift, offset, delay));
    const rc1 = analyseRapcal(exchange(1e13 + 60e6, drift, offset, delay));
    const pair = rapcalPair(rc0, rc1);
    // counts near 1e13 carry 0.002 counts (0.03 ns) of rounding each
    expect((1 / (1 + pair.epsilon) - 1) * 1e6).toBeCloseTo(2.5, 3);
    for (const d of pair.cableDelaysS) expect(d * 1e9).toBeCloseTo((delay / 60e6) * 1e9, 1);
    // a D-Egg stamp (4 x the ICM's count) half a second after the second exchange
    const hub = 1e13 + 60e6 + 30e6 + 0.123;
    const ticks = 4 * (hub * (1 + drift) + offset);
    expect(Math.abs(deggTicksToHubS(pair, ticks) - hub / 60e6) * 1e9).toBeLessThan(0.2);
  });

  it('refuses an exchange whose counts run backwards', () => {
    const e = exchange(1e13, 0, 1e12, 40);
    expect(() => analyseRapcal({ ...e, rxDor: e.txDor - 1 })).toThrow(/causality/);
  });
});

describe('time differences to the tabletop', () => {
  const P = 2e-3;

  it('pairs stamps with the reference stamp of the same shot, and leaves the rest out', () => {
    const ref = Float64Array.from([10, 10 + P, 10 + 3 * P, 10 + 3 * P + 1e-7, 10 + 4 * P]);
    // shot 0: 50 ns after; shot 2: the reference missed it; shot 3: two reference stamps; shot 4: 30 ns after
    const pmt = Float64Array.from([10 + 50e-9, 10 + 2 * P + 50e-9, 10 + 3 * P + 50e-9, 10 + 4 * P + 30e-9]);
    const d = shotDifferencesNs(ref, P, pmt);
    expect(d[0]).toBeCloseTo(50, 3);
    expect(d[1]).toBeNaN();
    expect(d[2]).toBeNaN();
    expect(d[3]).toBeCloseTo(30, 3);
    expect(shotDifferencesNs(new Float64Array(0), P, pmt).every(Number.isNaN)).toBe(true);
  });

  it('takes the rounding of both 240 MHz stamps out of the spread, and leaves dark stamps out', () => {
    const rng = new Rng(3);
    const tts = 1.5;
    const dt: number[] = [];
    // each board stamps the start of its clock tick; the two clocks' phases differ
    const stamp = (ns: number, phase: number) => Math.floor((ns + phase) / STAMP_TICK_NS) * STAMP_TICK_NS - phase;
    for (let i = 0; i < 40000; i++) {
      const shot = rng.uniform(0, 1e9);
      dt.push(stamp(shot + 42 + rng.normal(0, tts), 1.3) - stamp(shot, 2.9));
    }
    for (let i = 0; i < 4000; i++) dt.push(rng.uniform(-1e6, 1e6));
    const r = timingSpread(dt);
    expect(r.outside).toBeGreaterThan(3990);
    expect(r.offsetNs).toBeCloseTo(42, 1);
    expect(r.speTimeResolutionNs).toBeCloseTo(Math.sqrt(tts ** 2 + STAMP_TICK_NS ** 2 / 6), 1);
    expect(r.pmtTimingResolutionNs / tts).toBeGreaterThan(0.97);
    expect(r.pmtTimingResolutionNs / tts).toBeLessThan(1.03);
    // nothing within the window: no offset, no spread
    const none = timingSpread([TIMING_WINDOW_NS * 10, -TIMING_WINDOW_NS * 10, NaN]);
    expect(none.events).toBe(1);
    expect(none.offsetNs).toBeNaN();
  });
});

import { describe, expect, it } from 'vitest';
import { PulseTrain } from '../../src/sim/iceboot/pulses.js';
import { fillNormal } from '../../src/sim/normal-table.js';
import { Rng } from '../../src/sim/rng.js';

/** the train's pulses as [tick, amp] pairs */
const pairs = (t: PulseTrain) => Array.from({ length: t.n }, (_, i) => [t.tick[i], t.amp[i]]);

describe('PulseTrain.sort', () => {
  it('orders pulses appended by several sources (ascending runs, jittered neighbours, ties) like a stable sort by tick', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 50; trial++) {
      const train = new PulseTrain();
      const sources = 1 + (trial % 6);
      for (let s = 0; s < sources; s++) {
        // a source: a Poisson-like ascending series, some with jitter that swaps neighbours, some ticks repeated
        let t = rng.uniform(0, 100);
        const count = rng.int(0, 3000);
        for (let k = 0; k < count; k++) {
          t += rng.exponential(0.05);
          const tick = s % 2 ? t + rng.normal(0, 15) : k % 7 === 0 ? Math.floor(t) : t;
          train.add(tick, s * 1e6 + k);
        }
      }
      const expected = pairs(train).sort((x, y) => x[0] - y[0]);
      train.sort();
      expect(pairs(train)).toEqual(expected);
      // and the sorted train finds pulses by time
      if (train.n) expect(train.lowerBound(train.tick[train.n >> 1])).toBeLessThanOrEqual(train.n >> 1);
    }
  });

  it('sorts again after clear and regrowth (the buffers swapped by the last sort are reused)', () => {
    const train = new PulseTrain();
    for (let round = 0; round < 3; round++) {
      train.clear();
      for (let k = 0; k < 5000 * (round + 1); k++) train.add((k * 7919) % 5003, k);
      const expected = pairs(train).sort((x, y) => x[0] - y[0]);
      train.sort();
      expect(pairs(train)).toEqual(expected);
    }
  });
});

describe('fillNormal', () => {
  it('gives deviates of the asked mean and standard deviation, odd counts included', () => {
    const rng = new Rng(5);
    const n = 200_001;
    const out = new Float64Array(n);
    fillNormal(out, n, 300, 2.5, rng);
    let s = 0;
    let s2 = 0;
    for (const x of out) {
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    const sd = Math.sqrt(s2 / n - mean * mean);
    expect(mean).toBeCloseTo(300, 1);
    expect(sd).toBeGreaterThan(2.45);
    expect(sd).toBeLessThan(2.55);
    expect(out[n - 1]).not.toBe(0);
    // about 4.6% beyond 2σ, as a normal distribution has
    const beyond = out.filter((x) => Math.abs(x - 300) > 5).length / n;
    expect(beyond).toBeGreaterThan(0.04);
    expect(beyond).toBeLessThan(0.052);
  });
});

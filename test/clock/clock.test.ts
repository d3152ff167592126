import { describe, expect, it } from 'vitest';
import { ScaledClock, VirtualClock } from '../../src/clock/clock.js';

describe('clock', () => {
  it('virtual time wakes sleepers in order and only when advanced', async () => {
    const clock = new VirtualClock(0);
    const woke: string[] = [];
    void clock.sleep(40_000).then(() => woke.push('hv ramp'));
    void clock.sleep(10_000).then(() => woke.push('short'));
    await clock.advance(5_000);
    expect(woke).toEqual([]);
    await clock.advance(35_000);
    expect(woke).toEqual(['short', 'hv ramp']);
    expect(clock.now()).toBe(40_000);
  });

  it('auto-advancing virtual time runs a two-hour wait at once', async () => {
    const clock = new VirtualClock(0, true);
    const t0 = Date.now();
    await clock.sleep(2 * 3600_000);
    expect(clock.now()).toBe(2 * 3600_000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('an aborted sleep rejects with the reason', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('operator pressed Ctrl+C'));
    await expect(p).rejects.toThrow('operator pressed Ctrl+C');
    expect(clock.pending).toBe(0);
  });

  it('a scaled clock runs lab time faster than wall time', async () => {
    const clock = new ScaledClock(1000);
    const lab0 = clock.now();
    const wall0 = Date.now();
    await clock.sleep(20_000); // 20 lab seconds
    const wall = Date.now() - wall0;
    expect(wall).toBeLessThan(500);
    expect(clock.now() - lab0).toBeGreaterThanOrEqual(19_000);
    expect(() => new ScaledClock(0)).toThrow(/positive/);
  });
});

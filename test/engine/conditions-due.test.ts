import { describe, expect, it } from 'vitest';
import { CHECK_STANDS_MS, conditionsDue } from '../../src/engine/conditions.js';

/**
 * Between tasks the lab conditions are read again only when the last good reading is older than
 * CHECK_STANDS_MS of lab time, or was taken against another freezer set point.
 */
describe('when the master reads the lab conditions again', () => {
  const t = Date.parse('2026-12-01T00:00:00Z');

  it('always before the first task, and after a new freezer set point', () => {
    expect(conditionsDue(undefined, t, undefined)).toBe(true);
    expect(conditionsDue({ atMs: t, expectedFreezerC: undefined }, t + 1000, -40)).toBe(true);
    expect(conditionsDue({ atMs: t, expectedFreezerC: -40 }, t + 1000, -20)).toBe(true);
  });

  it('not within a lab minute of a good reading against the same set point; again after it', () => {
    expect(CHECK_STANDS_MS).toBe(60_000);
    expect(conditionsDue({ atMs: t, expectedFreezerC: -40 }, t + 1000, -40)).toBe(false);
    expect(conditionsDue({ atMs: t, expectedFreezerC: -40 }, t + CHECK_STANDS_MS - 1, -40)).toBe(false);
    expect(conditionsDue({ atMs: t, expectedFreezerC: -40 }, t + CHECK_STANDS_MS, -40)).toBe(true);
  });

  it('again when the clock reads earlier than the last reading (a station whose clock was set back)', () => {
    expect(conditionsDue({ atMs: t, expectedFreezerC: undefined }, t - 1, undefined)).toBe(true);
  });
});

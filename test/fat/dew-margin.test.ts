import { describe, expect, it } from 'vitest';
import { dewMargin } from '../../src/fat/preflight/dew-margin.js';
import type { CheckItem } from '../../src/records/check-results.js';

const sensor = (name: string, relativeHumidityPct: number, temperatureC: number, verdict: CheckItem['verdict'] = 'pass'): CheckItem => ({
  check: 'peripherals',
  subject: `humidity sensor ${name}`,
  reading: { relativeHumidityPct, temperatureC },
  tolerance: '',
  verdict,
  message: '',
});

describe('dew-point margin against the coldest set point', () => {
  it('warns that frost is likely when the damper sensor’s dew point is above the set point, naming it and the numbers', () => {
    const m = dewMargin([sensor('H1', 45, 21), sensor('H2', 2, 21)], -40);
    expect(m.frostLikely).toBe(true);
    expect(m.item.verdict).toBe('warn');
    expect(m.item.message).toMatch(
      /^FROST IS LIKELY: humidity sensor H1 reads 45\.0 %RH at 21\.0 °C: dew point 8\.\d °C, 4\d\.\d °C above the schedule's coldest set point -40 °C/,
    );
  });

  it('passes with the margin when the air is dry enough for the set point', () => {
    // 0.5 %RH at 20 °C: frost point near -42 °C
    const m = dewMargin([sensor('H1', 0.5, 20)], -20);
    expect(m.frostLikely).toBe(false);
    expect(m.item.verdict).toBe('pass');
    expect(m.item.message).toMatch(
      /frost|dew point -4\d\.\d °C, 2\d\.\d °C below the schedule's coldest set point -20 °C: no frost expected/,
    );
  });

  it('says so when no humidity sensor answered, and has nothing to compare without a freezer set point', () => {
    const dead = dewMargin([sensor('H1', 45, 21, 'fail')], -40);
    expect(dead.item.verdict).toBe('warn');
    expect(dead.item.message).toContain('no humidity sensor answered');
    expect(dewMargin([sensor('H1', 45, 21)], undefined).item.verdict).toBe('info');
  });
});

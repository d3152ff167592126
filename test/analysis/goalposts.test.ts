import { describe, expect, it } from 'vitest';
import { judge, judgeAll, moduleVerdict, worst } from '../../src/analysis/goalposts.js';

describe('goalposts', () => {
  const hv = { low: 1000, high: 2000, marginalBand: 50, units: 'V' };

  it('passes inside, fails outside, and is marginal near a limit', () => {
    expect(judge(1500, hv)).toEqual({ verdict: 'pass', reason: '' });
    expect(judge(1000, hv).verdict).toBe('marginal');
    expect(judge(2000, hv).verdict).toBe('marginal');
    expect(judge(1960, hv, 'HV at 1e7').reason).toBe('HV at 1e7 1960 V is within 50 V of a limit (goalpost: 1000 V to 2000 V)');
    expect(judge(2001, hv, 'HV at 1e7')).toEqual({
      verdict: 'fail',
      reason: 'HV at 1e7 2001 V is above 2000 V (goalpost: 1000 V to 2000 V)',
    });
    expect(judge(999, hv).verdict).toBe('fail');
  });

  it('handles one-sided limits and no marginal band', () => {
    const low = judge(0.55, { low: 0.6 }, 'charge ratio at 200 PE');
    expect(low.verdict).toBe('fail');
    expect(low.reason).toBe('charge ratio at 200 PE 0.55 is below 0.6 (goalpost: at least 0.6)');
    expect(judge(0.6, { low: 0.6 }).verdict).toBe('pass');
    expect(judge(2700, { high: 4000, marginalBand: 1400, units: 'Hz' }).verdict).toBe('marginal');
    expect(judge(2500, { high: 4000, marginalBand: 1400, units: 'Hz' }).verdict).toBe('pass');
  });

  it('fails a value that was not measured', () => {
    for (const v of [NaN, undefined, null, Infinity]) expect(judge(v, hv).verdict).toBe('fail');
    expect(judge(undefined, hv, 'HV at 1e7').reason).toMatch(/HV at 1e7 was not measured/);
  });

  it('gives a module the worst verdict of its results, with the reasons worst first', () => {
    expect(worst('pass', 'marginal')).toBe('marginal');
    expect(worst('fail', 'marginal')).toBe('fail');
    const results = judgeAll(
      { hv1e7GainVolts: 1980, darkRateHz: 5000, linearityRatio200Pe: 0.9, notJudged: 1 },
      {
        hv1e7GainVolts: hv,
        darkRateHz: { high: 4000, units: 'Hz' },
        linearityRatio200Pe: { low: 0.6 },
        missing: { low: 1 },
      },
    );
    expect(results.map((r) => r.name)).toEqual(['hv1e7GainVolts', 'darkRateHz', 'linearityRatio200Pe']);
    const m = moduleVerdict(results);
    expect(m.verdict).toBe('fail');
    expect(m.reasons).toHaveLength(2);
    expect(m.reasons[0]).toMatch(/darkRateHz 5000 Hz is above 4000 Hz/);
    expect(m.reasons[1]).toMatch(/hv1e7GainVolts/);
    expect(moduleVerdict(results.filter((r) => r.name !== 'darkRateHz')).verdict).toBe('marginal');
    expect(moduleVerdict(results.filter((r) => r.name === 'linearityRatio200Pe'))).toMatchObject({ verdict: 'pass', reasons: [] });
    expect(moduleVerdict([])).toMatchObject({ verdict: 'fail', reasons: ['no results were recorded'] });
  });
});

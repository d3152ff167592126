/**
 * Verdicts against goalposts (OpenHTF-style measurement limits): pass inside the limits, marginal
 * inside but within the marginal band of a limit, fail outside. The limits themselves live in the
 * versioned goalposts file; this is only the logic.
 */

export type Verdict = 'pass' | 'marginal' | 'fail';

export interface Goalpost {
  /** lowest passing value (inclusive) */
  low?: number;
  /** highest passing value (inclusive) */
  high?: number;
  /**
   * values inside the limits but closer than this to one of them are marginal (same unit as the
   * value); 0 or absent: no marginal band
   */
  marginalBand?: number;
  units?: string;
}

export interface Judged {
  verdict: Verdict;
  /** for people: what was measured against what; empty for a clean pass */
  reason: string;
}

const ORDER: Record<Verdict, number> = { pass: 0, marginal: 1, fail: 2 };

function fmt(v: number, units?: string): string {
  const s = Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3
      ? v.toExponential(3)
      : String(Number(v.toPrecision(4)));
  return units ? `${s} ${units}` : s;
}

function limits(g: Goalpost): string {
  if (g.low !== undefined && g.high !== undefined) return `${fmt(g.low, g.units)} to ${fmt(g.high, g.units)}`;
  if (g.low !== undefined) return `at least ${fmt(g.low, g.units)}`;
  if (g.high !== undefined) return `at most ${fmt(g.high, g.units)}`;
  return 'anything';
}

/** judge one value; a missing or non-finite value fails */
export function judge(value: number | null | undefined, g: Goalpost, name = 'value'): Judged {
  if (value === null || value === undefined || !Number.isFinite(value))
    return { verdict: 'fail', reason: `${name} was not measured (got ${String(value)}); goalpost ${limits(g)}` };
  if (g.low !== undefined && value < g.low)
    return { verdict: 'fail', reason: `${name} ${fmt(value, g.units)} is below ${fmt(g.low, g.units)} (goalpost: ${limits(g)})` };
  if (g.high !== undefined && value > g.high)
    return { verdict: 'fail', reason: `${name} ${fmt(value, g.units)} is above ${fmt(g.high, g.units)} (goalpost: ${limits(g)})` };
  const band = g.marginalBand ?? 0;
  if (band > 0 && ((g.low !== undefined && value < g.low + band) || (g.high !== undefined && value > g.high - band)))
    return {
      verdict: 'marginal',
      reason: `${name} ${fmt(value, g.units)} is within ${fmt(band, g.units)} of a limit (goalpost: ${limits(g)})`,
    };
  return { verdict: 'pass', reason: '' };
}

export function worst(a: Verdict, b: Verdict): Verdict {
  return ORDER[a] >= ORDER[b] ? a : b;
}

export interface NamedJudgement extends Judged {
  name: string;
}

export interface ModuleVerdict {
  verdict: Verdict;
  /** the reasons of every result that was not a clean pass, worst first */
  reasons: string[];
  results: NamedJudgement[];
}

/** a module's verdict from its results: the worst wins; no results at all is a fail */
export function moduleVerdict(results: readonly NamedJudgement[]): ModuleVerdict {
  if (results.length === 0) return { verdict: 'fail', reasons: ['no results were recorded'], results: [] };
  let v: Verdict = 'pass';
  for (const r of results) v = worst(v, r.verdict);
  const reasons = results
    .filter((r) => r.verdict !== 'pass')
    .sort((a, b) => ORDER[b.verdict] - ORDER[a.verdict])
    .map((r) => r.reason || `${r.name}: ${r.verdict}`);
  return { verdict: v, reasons, results: [...results] };
}

/** judge several named values at once, e.g. one PMT's results against their goalposts */
export function judgeAll(values: Record<string, number | null | undefined>, goalposts: Record<string, Goalpost>): NamedJudgement[] {
  const out: NamedJudgement[] = [];
  for (const [name, g] of Object.entries(goalposts)) {
    if (!(name in values)) continue;
    out.push({ name, ...judge(values[name], g, name) });
  }
  return out;
}

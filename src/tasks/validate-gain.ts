import { z } from 'zod';
import { type DocStore } from '../records/json-docs.js';
import { RunStoppedByOperator } from './manual-input.js';
import { GAIN } from './gain-acquire.js';
import { pmtFields, pmtSerialOf, PMTS, type PmtName, type PmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskKind } from './types.js';
import { iniBool } from './values.js';

/**
 * `validate_gain` (fat_master.validate_gain, original-system.md §2.9): every active PMT must have
 * an HV at gain 1e7 in its D-Egg file before the measurements that run at that HV. The original
 * only looked for −1; icefat also refuses values outside 1000-2000 V (the analysis's window).
 * When one is missing the run pauses for a person, as the original's manual_input: "yes" goes on
 * (fixed, or accepted), "no" stops the run.
 */
const params = z.object({ verbose: iniBool(true) });
type P = z.infer<typeof params>;

export interface InvalidGain extends PmtIdentity {
  value: unknown;
  why: string;
}

/** The PMTs of `modules` whose HV1e7Gain is missing or outside 1000-2000 V. */
export async function invalidGains(ws: DocStore, modules: readonly ActiveModule[]): Promise<{ invalid: InvalidGain[]; valid: number }> {
  const invalid: InvalidGain[] = [];
  let valid = 0;
  const [lo, hi] = GAIN.hv1e7RangeVolts;
  for (const m of modules)
    for (const pmt of PMTS) {
      let value: unknown;
      let why: string | null;
      try {
        value = (await pmtFields(ws, m.jsonFile, pmt)).HV1e7Gain;
        const v = typeof value === 'number' ? value : Number.NaN;
        why =
          value === undefined
            ? 'has no HV1e7Gain'
            : v === -1
              ? 'has HV1e7Gain = -1 (never analysed)'
              : !(v >= lo && v <= hi)
                ? `has HV1e7Gain = ${JSON.stringify(value)}, outside ${lo}-${hi} V`
                : null;
      } catch (e) {
        why = (e as Error).message;
      }
      if (why === null) valid++;
      else
        invalid.push({
          port: m.port,
          serial: m.serial,
          pmt,
          pmtSerial: await safeSerial(ws, m, pmt),
          value: value ?? null,
          why,
        });
    }
  return { invalid, valid };
}

async function safeSerial(ws: DocStore, m: ActiveModule, pmt: PmtName): Promise<string> {
  try {
    return await pmtSerialOf(ws, m, pmt);
  } catch {
    return `${m.serial}-${pmt}`;
  }
}

export function validateGainMessage(invalid: readonly InvalidGain[], total: number): string {
  return [
    `DAQ paused to run gain analysis: ${invalid.length} of ${total} PMTs have no valid HV at gain 1e7:`,
    ...invalid.map((x) => `  ${x.serial} (port ${x.port}) ${x.pmt} ${x.pmtSerial} ${x.why}`),
    'Run the gain analysis (analysis_wrapper, or `fat measure gain` for a new scan) or set HV1e7Gain in the D-Egg file,',
    'then answer yes to continue (the HV of a PMT without one falls back to 1500 V), or no to stop the run.',
  ].join('\n');
}

export const kind: TaskKind<P> = {
  name: 'validate_gain',
  summary: 'every PMT has an HV at gain 1e7 (else pause for the gain analysis)',
  params,
  positional: ['verbose'],
  listed: false,
  estimateS: () => 2,
  async run(ctx, p) {
    const total = ctx.modules.length * 2;
    const first = await invalidGains(ctx.ws, ctx.modules);
    let asked: { answer: string; answeredBy: string; via: string } | null = null;
    let after = first;
    if (first.invalid.length) {
      ctx.emit({
        level: 'warn',
        kind: 'validate_gain.paused',
        message: `DAQ Paused to run gain analysis! ${first.invalid.length} PMT(s) without a valid HV at gain 1e7: ${first.invalid.map((x) => `${x.serial} ${x.pmt}`).join(', ')}`,
        audience: 'people',
        data: { invalid: first.invalid },
      });
      const a = await ctx.prompt('validate-gain', validateGainMessage(first.invalid, total));
      if (a.answer === 'no') throw new RunStoppedByOperator(a.reason ?? 'no reason given');
      asked = { answer: a.answer, answeredBy: a.answeredBy, via: a.via };
      // the original's manual_input: ManualInputTime<k> at the top of the run file
      await ctx.record.update(ctx.run.runFile, (doc) => {
        const k = Object.keys(doc).filter((key) => /^ManualInputTime\d+$/.test(key)).length;
        doc[`ManualInputTime${k}`] = new Date(ctx.ws.clock.now()).toISOString().replace('T', ' ').replace('Z', '');
      });
      after = await invalidGains(ctx.ws, ctx.modules);
      if (after.invalid.length)
        ctx.emit({
          level: 'warn',
          kind: 'validate_gain.accepted',
          message: `validate_gain: ${a.answeredBy} answered yes with ${after.invalid.length} PMT(s) still without a valid HV at gain 1e7 (${after.invalid.map((x) => `${x.serial} ${x.pmt}`).join(', ')}); the run goes on`,
          audience: 'channel',
          data: { invalid: after.invalid },
        });
    }
    const line = `PMTs with a valid HV at 1e7 Gain: ${after.valid} / ${total}`;
    ctx.progress(1, line);
    if (p.verbose) ctx.emit({ level: 'info', kind: 'validate_gain.count', message: `validate_gain: ${line}`, audience: 'log' });
    return { valid: after.valid, total, invalid: after.invalid, prompt: asked };
  },
};

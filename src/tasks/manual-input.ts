import { z } from 'zod';
import { iniBool, iniText } from './values.js';
import type { TaskKind } from './types.js';

/**
 * `manual_input`: pause until a person answers. "Yes" continues; "no" (with a reason) stops the
 * run cleanly. The original ignored a "no" and carried on; icefat does not. `verbose` (the
 * original's console detail) changes nothing: icefat says the same either way.
 */
const params = z.object({ message: iniText().default('Ready to continue?'), verbose: iniBool(true) });
type P = z.infer<typeof params>;

export class RunStoppedByOperator extends Error {
  constructor(readonly reason: string) {
    super(`stopped by the operator: ${reason}`);
    this.name = 'RunStoppedByOperator';
  }
}

export const kind: TaskKind<P> = {
  name: 'manual_input',
  summary: 'pause for a person to confirm',
  params,
  positional: ['message', 'verbose'],
  housekeeping: true,
  asksPerson: true,
  listed: true,
  estimateS: () => 0,
  needsPerson: (p) => `manual input: ${p.message}`,
  async run(ctx, p) {
    const a = await ctx.prompt('manual_input', p.message);
    if (a.answer === 'no') throw new RunStoppedByOperator(a.reason ?? 'no reason given');
    // as the original: ManualInputTime<k> at the top level of the run file, k = how many exist
    await ctx.record.update(ctx.run.runFile, (doc) => {
      const k = Object.keys(doc).filter((key) => /^ManualInputTime\d+$/.test(key)).length;
      doc[`ManualInputTime${k}`] = new Date(ctx.ws.clock.now()).toISOString().replace('T', ' ').replace('Z', '');
    });
    return { answer: a.answer, answeredBy: a.answeredBy, via: a.via };
  },
};

import { z } from 'zod';
import { ANALYSES, runAnalysisJob, type AnalysisName } from './analysis-jobs.js';
import { parseEntryNumber } from './measurement-entries.js';
import type { TaskKind } from './types.js';
import { iniChoice, iniText } from './values.js';

/**
 * `trigger_remote_wrapper` (analysis/trigger_remote_analysis.py, original-system.md §6.13). The
 * original copied the data to grappa and started the analysis there, fire and forget. icefat runs
 * the analysis job itself over the recorded data (tasks/analysis-jobs.ts) and never blocks on a
 * network. Like the original it does not stop the schedule over a PMT's bad result: that is in
 * the event, the task's result and the verdicts.
 */
const params = z.object({ analysis: iniChoice(ANALYSES), number: iniText().default('latest') });
type P = z.infer<typeof params>;

export const kind: TaskKind<P> = {
  name: 'trigger_remote_wrapper',
  summary: 'analysis of the recorded data of one kind (in process; the original started it on a remote server)',
  params,
  positional: ['analysis', 'number'],
  estimateS: (_p, m) => 60 + 5 * m,
  async run(ctx, p) {
    const number = parseEntryNumber(p.number, 'trigger_remote_wrapper: number');
    ctx.progress(0, `analysis ${p.analysis} (${p.number})`);
    const r = await runAnalysisJob(ctx, p.analysis as AnalysisName, number);
    ctx.emit({
      level: r.problems.length ? 'warn' : 'info',
      kind: `analysis.${r.status}`,
      message: `trigger_remote_wrapper: ${r.message}`,
      audience: 'channel',
      data: { analysis: p.analysis, number: p.number, status: r.status },
    });
    ctx.progress(1, r.message);
    return { ...r, number: p.number };
  },
};

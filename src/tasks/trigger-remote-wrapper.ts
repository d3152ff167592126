import { GAIN_QUANTITIES } from './gain-acquire.js';
import { DARK_RATE_QUANTITIES } from './scaler-windows.js';
import { z } from 'zod';
import { storeUrl } from '../station/workspace.js';
import { isPostgresUrl, sendAnalysisJob } from '../store/job-queue.js';
import { ANALYSES, runAnalysisJob } from './analysis-jobs.js';
import { parseEntryNumber } from './measurement-entries.js';
import type { TaskKind } from './types.js';
import { iniChoice, iniText } from './values.js';

/**
 * `trigger_remote_wrapper` (analysis/trigger_remote_analysis.py, original-system.md §6.13). The
 * original copied the data to grappa and started the analysis there, fire and forget. icefat runs
 * the analysis job itself over the recorded data (tasks/analysis-jobs.ts) and never blocks on a
 * network. Like the original it does not stop the schedule over a PMT's bad result: that is in
 * the event, the task's result and the verdicts.
 *
 * On a PostgreSQL store the analysis becomes a job in pg-boss for `fat worker` (nothing waits for
 * it: the task is done once the job is queued, the worker writes the results, the event and the
 * task's result); FAT_JOBS=inline keeps it in process there too. On SQLite it runs in process.
 */
const params = z.object({ analysis: iniChoice(ANALYSES), number: iniText().default('latest') });
type P = z.infer<typeof params>;

export const kind: TaskKind<P> = {
  name: 'trigger_remote_wrapper',
  summary: 'analysis of the recorded data of one kind (in process; the original started it on a remote server)',
  quantities: [...GAIN_QUANTITIES, ...DARK_RATE_QUANTITIES],
  params,
  positional: ['analysis', 'number'],
  listed: false,
  estimateS: (_p, m) => 60 + 5 * m,
  async run(ctx, p) {
    const number = parseEntryNumber(p.number, 'trigger_remote_wrapper: number');
    const url = storeUrl(ctx.ws.home, ctx.ws.station);
    if (isPostgresUrl(url) && process.env.FAT_JOBS !== 'inline') {
      const job = await sendAnalysisJob(url, {
        station: ctx.ws.station.name,
        home: ctx.ws.home.dir,
        runId: ctx.run.id,
        taskId: ctx.task.id,
        analysis: p.analysis,
        number: p.number,
      });
      const message = `analysis ${p.analysis} (${p.number}) ${job.queued ? 'queued' : 'already queued'} as job ${job.id} for \`fat worker\``;
      ctx.emit({
        level: 'info',
        kind: 'analysis.queued',
        message: `trigger_remote_wrapper: ${message}`,
        audience: 'log',
        data: { analysis: p.analysis, number: p.number, jobId: job.id },
      });
      ctx.progress(1, message);
      return { analysis: p.analysis, number: p.number, status: 'queued', jobId: job.id, message };
    }
    ctx.progress(0, `analysis ${p.analysis} (${p.number})`);
    const r = await runAnalysisJob(ctx, p.analysis, number);
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

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { CliError, withWorkspace } from './common.js';

/**
 * `fat report RUN [--module S] [--pdf] [--out FILE]`: the run summary (all modules side by side,
 * outliers of the batch) or one module's report, as a self-contained HTML file or, with --pdf,
 * printed to PDF by Chromium. Writes <home>/reports/run_NNNNN[_SERIAL].html|pdf unless --out is
 * given and prints the path.
 */
export function registerReport(program: Command<[], { home?: string }>): void {
  program
    .command('report')
    .description('an HTML (or PDF) report: the run summary with outliers, or one module with its plots and provenance')
    .argument('<run>', 'run number or run_NNNNN.json')
    .option('--module <serial>', 'one module, by D-Egg serial or port')
    .option('--pdf', 'write a PDF (needs Chromium at /usr/bin/chromium) instead of HTML')
    .option('--out <file>', 'where to write the report (default: <home>/reports/run_NNNNN[_SERIAL].html|pdf)')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { runName } = await import('../records/run-files.js');
        const { findRun } = await import('../station/runs.js');
        const { runResults, runVerdicts } = await import('../records/verdicts.js');
        const { moduleReportHtml } = await import('../report/module-report.js');
        const { htmlToPdf } = await import('../report/pdf.js');
        const { currentGoalposts, moduleData, runInfo } = await import('../report/report-data.js');
        const { runSummaryHtml } = await import('../report/run-summary.js');
        const { writeFileAtomic } = await import('../util/atomic-write.js');
        let run;
        try {
          run = await findRun(ws, runArg, 'shown');
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        const info = runInfo(ws, run);
        const gp = currentGoalposts(ws);
        const generatedAt = new Date(ws.clock.now()).toISOString();
        let html: string;
        let suffix = '';
        if (opts.module !== undefined) {
          const want = opts.module.trim();
          const modules = await ws.db
            .selectFrom('modules')
            .select(['port', 'degg_serial'])
            .where('run_id', '=', run.id)
            .orderBy('port')
            .execute();
          const hit = modules.find((m) => m.degg_serial === want || String(m.port) === want);
          if (!hit)
            throw new CliError(
              `module "${want}" is not in run ${run.run_number} (its modules: ${modules.map((m) => `${m.degg_serial} on ${m.port}`).join(', ') || 'none'})`,
            );
          const data = await moduleData(ws, info, hit.degg_serial);
          if (!data) throw new CliError(`module ${hit.degg_serial} of run ${run.run_number} disappeared from the store while reading it`);
          html = moduleReportHtml(data, gp, generatedAt);
          suffix = `_${hit.degg_serial}`;
        } else {
          const [modules, results] = await Promise.all([runVerdicts(ws, run.id), runResults(ws, run.id)]);
          html = runSummaryHtml({ run: info, modules, results, goalposts: gp, generatedAt });
        }
        const ext = opts.pdf ? 'pdf' : 'html';
        const out = path.resolve(opts.out ?? path.join(ws.home.dir, 'reports', `${runName(run.run_number)}${suffix}.${ext}`));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const content = opts.pdf ? await htmlToPdf(html).catch((e: Error) => Promise.reject(new CliError(e.message))) : html;
        writeFileAtomic(out, content);
        process.stdout.write(out + '\n');
      }),
    );
}

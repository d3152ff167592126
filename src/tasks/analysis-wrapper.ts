import { GAIN_QUANTITIES } from './gain-acquire.js';
import { z } from 'zod';
import { analyseGainChecks } from './gain-check-analysis.js';
import { analyseGainOfRun, gainAnalysisSummary } from './gain-analysis.js';
import { parseEntryNumber, type EntryNumber } from './measurement-entries.js';
import type { TaskContext, TaskKind } from './types.js';
import { iniBool, iniText } from './values.js';

/**
 * `analysis_wrapper` (analysis/gain/analyze_gain.analysis_wrapper, original-system.md §6.3): the
 * offline analysis of the recorded gain scan. Writes HV1e7Gain, GainFitNorm / GainFitExp and
 * SPEPeakHeight; fails naming the PMTs whose V(1e7) is outside 1000-2000 V or whose peak height is
 * outside 1-10 mV, as the original raised (the other PMTs are written all the same).
 */
const params = z.object({
  pdf: iniBool(false),
  mode: iniText().default('gain_scan'),
  measurement_number: iniText().default('latest'),
  simple: iniBool(false),
  save_df: iniBool(false),
  ignore_files: iniBool(false),
  remote: iniBool(false),
  offline: iniBool(false),
});
type P = z.infer<typeof params>;

/** Plots and PDF reports arrive with the dashboard (issue #5); until then the record says none was made. */
export const NO_PDF_YET = 'no PDF was made: plots and reports arrive with the dashboard (issue #5)';

export const kind: TaskKind<P> = {
  name: 'analysis_wrapper',
  summary: 'gain analysis: HV at 1e7 gain and SPE peak height into the module files',
  quantities: GAIN_QUANTITIES,
  params,
  positional: ['pdf', 'mode', 'measurement_number', 'simple', 'save_df', 'ignore_files', 'remote', 'offline'],
  listed: false,
  estimateS: (_p, m) => 30 + 10 * m,
  async run(ctx, p) {
    if (p.mode !== 'gain_scan' && p.mode !== 'gain_check')
      throw new Error(
        `analysis_wrapper: mode must be 'gain_scan' (the analysis of measure_gain's scan) or 'gain_check' (of its checks at the set HV), got '${p.mode}'`,
      );
    const number = parseEntryNumber(p.measurement_number, 'analysis_wrapper: measurement_number');
    if (p.mode === 'gain_check') return gainCheck(ctx, number);
    if (!ctx.modules.length) throw new Error('analysis_wrapper: the run has no active modules');
    if (p.pdf)
      ctx.emit({
        level: 'warn',
        kind: 'analysis.gain.no-pdf',
        message: `analysis_wrapper: pdf = True, but ${NO_PDF_YET}; the results are in the D-Egg files and \`fat results\``,
        audience: 'channel',
      });
    // these chose the original's database upload, plot detail, a saved DataFrame, which files to
    // read and where to run: icefat always analyses the local files in-process and uploads
    // nothing, so they change nothing; the log says so
    const options = (['offline', 'simple', 'save_df', 'ignore_files', 'remote'] as const).filter((o) => p[o]);
    if (options.length)
      ctx.emit({
        level: 'info',
        kind: 'analysis.gain.options',
        message: `analysis_wrapper: ${options.join(', ')} accepted; icefat always analyses the local files, so they change nothing`,
        audience: 'log',
      });

    const r = await analyseGainOfRun(ctx, number, 'analysis_wrapper');
    warnFailedPmts(ctx, r.failures);
    const valid = r.pmts.filter((x) => !x.problem).length;
    ctx.progress(1, `PMTs with a valid HV at 1e7 Gain: ${valid} / ${ctx.modules.length * 2}`);
    if (r.failures.length)
      throw new Error(
        `analysis_wrapper: ${r.failures.length} PMT(s) without a usable gain result (${valid} written): ${r.failures.map((f) => f.error).join('; ')}`,
      );
    return {
      measurementNumber: p.measurement_number,
      pdf: p.pdf ? NO_PDF_YET : null,
      pmts: r.pmts.map(gainAnalysisSummary),
    };
  },
};

/** Each PMT the analysis could not use, as its own warning (the task then fails naming them all). */
function warnFailedPmts(ctx: TaskContext, failures: Array<{ port: number; pmt: string; error: string }>): void {
  for (const f of failures)
    ctx.emit({
      level: 'warn',
      kind: 'analysis.gain.pmt-failed',
      message: `analysis_wrapper: ${f.error}`,
      audience: 'channel',
      data: { port: f.port, pmt: f.pmt },
    });
}

async function gainCheck(ctx: TaskContext, number: EntryNumber) {
  if (!ctx.modules.length) throw new Error('analysis_wrapper: the run has no active modules');
  const r = await analyseGainChecks(ctx, number, 'analysis_wrapper');
  warnFailedPmts(ctx, r.failures);
  if (r.failures.length)
    throw new Error(
      `analysis_wrapper (gain_check): ${r.failures.length} PMT(s) without a usable check (${r.pmts.length} analysed): ${r.failures.map((f) => f.error).join('; ')}`,
    );
  return { mode: 'gain_check', pmts: r.pmts };
}

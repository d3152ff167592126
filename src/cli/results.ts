import type { Command } from '@commander-js/extra-typings';
import type { ModuleReport, ResultRecord } from '../records/api-types.js';
import { CliError, emit, withWorkspace } from './common.js';

/**
 * `fat results [RUN] [--module S] [--json]`: the verdict of every module of a run and why, and with
 * --module every result row of that module with its provenance. A report: it exits 0 whatever the
 * verdicts are; only a run or module that does not exist is an error.
 */
function fmtValue(r: ResultRecord): string {
  if (r.value === null) return 'not measured';
  const v =
    Math.abs(r.value) >= 1e5 || (Math.abs(r.value) < 1e-3 && r.value !== 0)
      ? r.value.toExponential(3)
      : String(Number(r.value.toPrecision(5)));
  return r.units ? `${v} ${r.units}` : v;
}

function fmtProvenance(r: ResultRecord): string {
  const p = r.provenance;
  if (p.importedFrom) return `imported from ${p.importedFrom}`;
  const commit = p.icefatCommit ? `${p.icefatCommit.slice(0, 10)}${p.icefatDirty ? '+dirty' : ''}` : 'unknown';
  const fw = p.firmware ? `fpga ${p.firmware.fpga} / iceboot ${p.firmware.software}` : 'unknown';
  return `icefat ${commit}, schedule ${p.scheduleHash ? p.scheduleHash.slice(0, 12) : 'none (fat measure)'}, firmware ${fw}, operator ${p.operator || 'unknown'}`;
}

function moduleLine(m: ModuleReport): string[] {
  const state = m.state === 'active' ? '' : ` (${m.state}${m.stateReason ? `: ${m.stateReason}` : ''})`;
  const head = `  port ${m.port} ${m.serial}  ${m.verdict.toUpperCase()}${state}  [${m.judged} judged, ${m.info} info]`;
  return [head, ...m.reasons.map((r) => `      - ${r}`)];
}

function resultLines(rows: ResultRecord[]): string[] {
  return rows.map((r) => {
    const old = r.superseded ? ' (superseded)' : '';
    return [
      `  ${r.name}${r.pmt ? ` ${r.pmt}` : ''}: ${fmtValue(r)}  ${r.verdict.toUpperCase()}${old}${r.reason ? `  ${r.reason}` : ''}`,
      `      by ${r.kind}${r.taskId ? ` (task ${r.taskId})` : ''} at ${r.createdAt}, goalposts ${r.goalpostsVersion}; ${fmtProvenance(r)}`,
    ].join('\n');
  });
}

export function registerResults(program: Command<[], { home?: string }>): void {
  program
    .command('results')
    .description('the verdict of every module of a run (worst of its latest results) and why; --module lists its results')
    .argument('[run]', 'run number or run_NNNNN.json (default: the latest run)')
    .option('--module <serial>', 'one module, by D-Egg serial or port: every result row with its provenance')
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { ResultsError, resultsReport } = await import('../views/results-report.js');
        let report;
        try {
          report = await resultsReport(ws, runArg, opts.module);
        } catch (e) {
          if (e instanceof ResultsError) throw new CliError(e.message);
          throw e;
        }
        const { counts, modules: shown, results: rows } = report;
        const total = counts.pass + counts.marginal + counts.fail + counts.notJudged;
        emit(opts.json, report, () => [
          `Run ${report.run} on ${report.station}: ${total} modules, ${counts.pass} pass, ${counts.marginal} marginal, ${counts.fail} fail, ${counts.notJudged} not judged`,
          ...shown.flatMap(moduleLine),
          ...(rows ? [`Results of ${shown[0].serial} (${rows.length}, oldest first):`, ...resultLines(rows)] : []),
        ]);
      }),
    );
}

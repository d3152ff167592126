import type { Workspace } from '../station/workspace.js';
import { findRun, latestRun } from '../station/runs.js';
import type { ModuleReport } from '../records/api-types.js';
import { runResults, runVerdicts, verdictCounts } from '../records/verdicts.js';

/**
 * The verdicts of a run's modules (and with a module, its result rows): what `fat results --json`
 * prints and `GET /api/results` returns. A run or module that does not exist is a ResultsError.
 */
export class ResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsError';
  }
}

export async function resultsReport(ws: Workspace, runArg?: string, moduleArg?: string) {
  let run;
  try {
    run = runArg === undefined ? await latestRun(ws, 'shown') : await findRun(ws, runArg, 'shown');
  } catch (e) {
    throw new ResultsError((e as Error).message);
  }
  if (!run) throw new ResultsError('there is no run yet: create one with `fat run new --comment TEXT`');
  const modules = await runVerdicts(ws, run.id);
  let selected: ModuleReport | undefined;
  if (moduleArg !== undefined) {
    const want = moduleArg.trim();
    selected = modules.find((m) => m.serial === want || String(m.port) === want);
    if (!selected)
      throw new ResultsError(
        `module "${want}" is not in run ${run.run_number} (its modules: ${modules.map((m) => `${m.serial} on ${m.port}`).join(', ') || 'none'})`,
      );
  }
  const rows = selected ? await runResults(ws, run.id, selected.serial) : null;
  const counts = verdictCounts(modules);
  return {
    run: run.run_number,
    station: run.station,
    counts,
    modules: selected ? [selected] : modules,
    ...(rows ? { results: rows } : {}),
  };
}

export type ResultsReport = Awaited<ReturnType<typeof resultsReport>>;

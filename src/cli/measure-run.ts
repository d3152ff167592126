import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { Workspace } from '../station/workspace.js';
import type { TaskKind } from '../tasks/types.js';
import { CliError } from './common.js';
import { intOption } from './parse.js';

export interface MeasureOutcome {
  run: { id: number; number: number };
  /** what the kind's run returned (its summary) */
  result: unknown;
}

/**
 * Runs one task kind on the active modules of a run, outside a schedule (`fat measure ...`): the
 * same parameters, records and results as under the master. Progress lines go to stderr
 * (`quiet` drops notes that only tick a counter); Ctrl+C aborts the measurement cleanly.
 */
export async function runMeasurement<P extends Record<string, unknown>>(
  ws: Workspace,
  runArg: string | undefined,
  loadKind: () => Promise<TaskKind<P>>,
  raw: Record<string, unknown>,
  quiet: (note: string) => boolean = () => false,
): Promise<MeasureOutcome> {
  const { standaloneContext } = await import('../engine/standalone.js');
  const { activeModules, findRun, latestRun } = await import('../station/runs.js');
  const kind = await loadKind();
  const run = runArg === undefined ? await latestRun(ws) : await findRun(ws, runArg);
  if (!run) throw new CliError('there is no run yet: create one with `fat run new --comment TEXT`');
  const modules = (await activeModules(ws, run.id)).map((m) => ({
    port: m.port,
    serial: m.degg_serial,
    wirePair: m.wire_pair,
    jsonFile: m.json_file,
  }));
  if (!modules.length) throw new CliError(`run ${run.run_number} has no active modules`);
  const parsed = kind.params.safeParse(raw);
  if (!parsed.success)
    throw new CliError(`measure ${kind.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted by Ctrl+C'));
  process.once('SIGINT', onSigint);
  let lastNote = '';
  const ctx = standaloneContext(ws, {
    run: { id: run.id, number: run.run_number, runFile: run.run_file },
    modules,
    kind: kind.name,
    signal: ac.signal,
    onProgress: (f, note) => {
      if (note === lastNote || quiet(note)) return;
      lastNote = note;
      process.stderr.write(`[${(100 * f).toFixed(0).padStart(3)}%] ${note}\n`);
    },
  });
  try {
    const result = await kind.run(ctx, parsed.data);
    return { run: { id: run.id, number: run.run_number }, result };
  } finally {
    process.off('SIGINT', onSigint);
    await ctx.flush();
  }
}

/** --jobs is 1..16 everywhere */
export function checkJobs(jobs: number): void {
  if (jobs < 1 || jobs > 16) throw new CliError(`--jobs must be 1..16, got ${jobs}`);
}

/** `fat measure NAME [run] -j N`: what every measurement command starts with. */
export function measureCommand<O extends OptionValues, G extends OptionValues>(
  measure: Command<[], O, G>,
  name: string,
  description: string,
  jobsHelp = 'wire pairs measured in parallel',
) {
  return measure
    .command(name)
    .description(description)
    .argument('[run]', 'run number or run_NNNNN.json (default: the latest run)')
    .option('-j, --jobs <n>', jobsHelp, intOption('--jobs'), 4);
}

export interface ModuleFailure {
  port: number;
  serial: string;
  error: string;
}

export const failureLines = (failures: readonly ModuleFailure[]) => failures.map((f) => `  [FAIL] port ${f.port} ${f.serial}: ${f.error}`);

/** A measurement that left modules out exits non-zero, after printing what it did measure. */
export function throwOnFailures(failures: readonly ModuleFailure[], what = 'module(s) could not be measured'): void {
  if (failures.length) throw new CliError(`${failures.length} ${what}`);
}

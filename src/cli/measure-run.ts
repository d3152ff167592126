import type { Command } from '@commander-js/extra-typings';
import type { Workspace } from '../station/workspace.js';
import type { TaskContext, TaskKind } from '../tasks/types.js';
import { CliError, emit, withWorkspace } from './common.js';
import type { KindOption } from './kind-options.js';

export interface MeasureOutcome {
  run: { id: number; number: number };
  /** what the kind's run returned (its summary) */
  result: unknown;
}

/**
 * Runs one task kind on the active modules of a run, outside a schedule (`fat measure ...`): the
 * same parameters, records and results as under the master. Progress lines go to stderr
 * (`quiet` drops notes that only tick a counter; `say` prints them); Ctrl+C aborts the measurement
 * cleanly. `fat preflight` runs its gain scan and analysis through it too.
 */
export async function runMeasurement<P extends Record<string, unknown>>(
  ws: Workspace,
  runArg: string | undefined,
  kind: TaskKind<P>,
  raw: Record<string, unknown>,
  quiet: RegExp | undefined,
  say: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<MeasureOutcome> {
  const { standaloneContext } = await import('../engine/standalone.js');
  const { activeRunModules, findRun, latestRun } = await import('../station/runs.js');
  const run = runArg === undefined ? await latestRun(ws) : await findRun(ws, runArg);
  if (!run) throw new CliError('there is no run yet: create one with `fat run new --comment TEXT`');
  const modules = await activeRunModules(ws, run.id);
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
    quantities: kind.quantities,
    signal: ac.signal,
    onProgress: (f, note) => {
      if (note === lastNote || quiet?.test(note)) return;
      lastNote = note;
      say(`[${(100 * f).toFixed(0).padStart(3)}%] ${note}`);
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

/** `fat measure`, to which each measurement adds its sub-command */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type MeasureCommand = Command<[], {}, { home?: string }>;

/** A `fat measure` sub-command: a task kind, the parameters it offers, and how its summary is printed. */
export interface Measurement<R, P extends Record<string, unknown>> {
  name: string;
  description: string;
  /**
   * loaded only for the sub-command that runs or shows its help, so `fat --help` stays light; its
   * result (what `lines` prints and --json shows) is the kind's own type, not a copy of it
   */
  kind: () => Promise<TaskKind<P> & { run(ctx: TaskContext, p: P): Promise<R> }>;
  /** the kind's parameters offered as options after -j/--jobs, in the order the help lists them */
  options: KindOption[];
  /** progress notes that only tick a counter, not printed */
  quiet?: RegExp;
  /** the lines printed without --json (then the modules that failed) */
  lines(r: R, run: number): string[];
  /** throws when something was not measured (exit code 1); by default when modules failed */
  check?(r: R): void;
}

/** `fat measure NAME [run] -j N ... --json`: one measurement on its own, with the options of its kind. */
export function measureCommand<R extends object, P extends Record<string, unknown>>(measure: MeasureCommand, m: Measurement<R, P>): void {
  let loaded: Promise<{ kind: TaskKind<P>; params: (opts: Record<string, unknown>) => Record<string, unknown> }> | undefined;
  const load = () =>
    (loaded ??= Promise.all([m.kind(), import('./kind-options.js'), import('../records/goalposts-file.js')]).then(
      ([kind, { addKindOptions, quantitiesHelp }, { loadGoalposts, DEFAULT_GOALPOSTS }]) => {
        const params = addKindOptions(cmd, kind, ['n_jobs', ...m.options]);
        cmd.option('--json', 'print JSON');
        cmd.addHelpText('after', quantitiesHelp(kind, loadGoalposts(DEFAULT_GOALPOSTS)));
        return { kind, params };
      },
    ));
  const cmd = measure
    .command(m.name)
    .description(m.description)
    .argument('[run]', 'run number or run_NNNNN.json (default: the latest run)')
    .action(async (runArg) => {
      const { kind, params } = await load();
      const opts = cmd.opts() as Record<string, unknown>;
      await withWorkspace(cmd, async (ws) => {
        const { run, result } = await runMeasurement(ws, runArg, kind, params(opts), m.quiet);
        const r = result as R;
        const failures = (r as { failures?: ModuleFailure[] }).failures ?? [];
        emit(Boolean(opts.json), { run: run.number, ...r }, () => [...m.lines(r, run.number), ...failureLines(failures)]);
        (m.check ?? (() => throwOnFailures(failures)))(r);
      });
    });
  // before `measure` reads its sub-command (or `help NAME`), whose options must be there by then
  measure.parent?.hook('preSubcommand', async (program, sub) => {
    if (sub === measure && program.args.includes(m.name)) await load();
  });
}

/** the first columns of a PMT's line */
export interface PmtRow {
  port: number;
  serial: string;
  pmt: string;
  pmtSerial: string;
}

export interface ModuleFailure {
  port: number;
  serial: string;
  error: string;
}

const failureLines = (failures: readonly ModuleFailure[]) => failures.map((f) => `  [FAIL] port ${f.port} ${f.serial}: ${f.error}`);

/** A measurement that left modules out exits non-zero, after printing what it did measure. */
export function throwOnFailures(failures: readonly ModuleFailure[], what = 'module(s) could not be measured'): void {
  if (failures.length) throw new CliError(`${failures.length} ${what}`);
}

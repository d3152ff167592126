import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from '@commander-js/extra-typings';
import type { Workspace } from '../station/workspace.js';
import { TEMPLATE_NAMES } from '../fat/schedule/templates.js';
import { CliError, emit, homeDir, withWorkspace, type AnyCommand } from './common.js';

/** Modules assumed when the run file is not known to the store. */
const DEFAULT_MODULES = 16;

export function registerSchedule(program: Command<[], { home?: string }>): void {
  const schedule = program
    .command('schedule')
    .description('FAT schedules: write one from a template, check one (also the original INI files)');

  schedule
    .command('create')
    .description('write a schedule file for a run from a template')
    .argument('<run>', 'run number of this station, or a run_NNNNN.json file')
    .argument('<config>', 'the schedule file to write (INI)')
    .addOption(new Option('--template <name>', 'which schedule').choices(TEMPLATE_NAMES).default('standard'))
    .option('--no-hv', "standard: the warm-up without HV (the original generator's --no_hv)")
    .option('-v, --verbose', "write verbose = True (the original generator's -v)")
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print JSON')
    .action(async (runArg, config, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { formatDurationS } = await import('../fat/schedule/parse.js');
        const { writeSchedule } = await import('../fat/schedule/create.js');
        const run = await resolveRun(ws, runArg);
        let written;
        try {
          written = writeSchedule(config, opts.template, run.runFile, {
            hv: opts.hv,
            verbose: opts.verbose,
            overwrite: opts.force,
            modules: run.modules,
          });
        } catch (e) {
          if ((e as Error).name === 'ScheduleError') throw e;
          throw new CliError((e as Error).message);
        }
        const { file: out, schedule, totalS } = written;
        emit(
          opts.json,
          { file: out, template: opts.template, hv: opts.hv, runFile: run.runFile, tasks: schedule.tasks.length, totalS },
          () => [
            `Wrote the ${opts.template} schedule${opts.hv ? '' : ' without HV'} for ${run.number === undefined ? run.runFile : `run ${run.number}`} to ${out}:`,
            `  ${schedule.tasks.length} tasks, about ${formatDurationS(totalS)} for ${run.modules} modules.`,
            `Check it with: fat schedule check ${config}`,
          ],
        );
      }),
    );

  schedule
    .command('check')
    .description('validate a schedule and list its tasks with estimated durations; nothing runs')
    .argument('<config>', 'schedule file (icefat format or the original create_fat_config.py output)')
    .option('--json', 'print JSON')
    .action(async (config, opts, cmd) => scheduleCheck(cmd, config, opts));
}

async function scheduleCheck(cmd: AnyCommand, config: string, opts: { json?: boolean }): Promise<void> {
  const { catalogue, findKind } = await import('../tasks/catalogue.js');
  const { checkSchedule, estimateSchedule, formatDurationS, formatProblem, groupWarnings } = await import('../fat/schedule/parse.js');
  const { planForecast, formatTime } = await import('../engine/forecast.js');
  const cat = catalogue();
  const r = checkSchedule(config, cat);
  const s = r.schedule;
  // checking a schedule must not create a home folder as a side effect
  const home = fs.existsSync(path.join(homeDir(cmd), 'station.toml'));
  const plan = async (ws: Workspace | undefined) => {
    const modules = ws && s.constants.runFile ? await modulesOfRunFile(ws, s.constants.runFile) : undefined;
    const nModules = modules ?? DEFAULT_MODULES;
    const est = estimateSchedule(s, cat, nModules);
    const tasks = s.tasks.map((t, i) => ({
      ...t,
      estimateS: est.tasks[i].estimateS,
      // the parameters are the kind's only when the schedule is valid
      person: ws && !r.problems.length ? findKind(cat, t.kind)?.needsPerson?.(t.params, ws) : undefined,
    }));
    return { modules, nModules, est, ...(await planForecast(ws, tasks, ws ? ws.clock.now() : Date.now())) };
  };
  const { modules, nModules, est, learned, forecast: fc } = home ? await withWorkspace(cmd, plan) : await plan(undefined);
  const ok = r.problems.length === 0;
  emit(
    opts.json,
    {
      ok,
      file: s.file,
      format: s.format,
      hash: s.hash,
      constants: s.constants,
      modules: nModules,
      tasks: s.tasks.map((t, i) => ({ ...t, estimateS: est.tasks[i].estimateS, learnedS: learned[i].estimateS, basis: learned[i].basis })),
      totalS: est.totalS,
      learnedTotalS: fc.remainingS,
      basis: fc.basis,
      etaIfStartedNow: new Date(fc.etaMs).toISOString(),
      nextPerson: fc.nextPerson ? { ...fc.nextPerson, at: new Date(fc.nextPerson.atMs).toISOString() } : null,
      problems: r.problems.map((p) => ({ ...p, text: formatProblem(p) })),
      warnings: s.warnings.map((w) => ({ ...w, text: formatProblem(w) })),
    },
    () => {
      const width = String(Math.max(0, s.tasks.length - 1)).length;
      const lines = [
        `Schedule ${config} (${s.format} format, ${s.tasks.length} tasks, run file ${s.constants.runFile || '?'}):`,
        ...s.tasks.map(
          (t, i) =>
            `  [${String(t.index).padStart(width)}] ${t.section} (${t.kind})${t.runBackup ? ' +backup' : ''}  ~${formatDurationS(learned[i].estimateS)}` +
            (learned[i].source === 'catalogue' ? '' : ` (${learned[i].basis}; catalogue ~${formatDurationS(learned[i].catalogueS)})`),
        ),
        `Total: about ${formatDurationS(fc.remainingS)} for ${nModules} modules${modules === undefined ? ' (run not in this station’s store; 16 assumed)' : ''}: ${fc.basis}` +
          (fc.remainingS === fc.catalogueRemainingS
            ? '.'
            : `; the catalogue's fixed estimates say ${formatDurationS(fc.catalogueRemainingS)}.`),
        `Started now, it would end around ${formatTime(fc.etaMs)}` +
          (fc.nextPerson
            ? `; a person is first needed around ${formatTime(fc.nextPerson.atMs)} for [${fc.nextPerson.idx}] ${fc.nextPerson.what}${/[.?!]$/.test(fc.nextPerson.what) ? '' : '.'}`
            : home && ok
              ? '; no person is needed before the end.'
              : '.'),
      ];
      if (s.warnings.length)
        lines.push(
          '',
          `${s.warnings.length} warning(s): the original did other than this file says; icefat does what it says:`,
          ...groupWarnings(s.warnings).map((w) => '  ' + w),
        );
      if (!ok)
        lines.push('', `${r.problems.length} problem(s), the schedule cannot run:`, ...r.problems.map((p) => '  ' + formatProblem(p)));
      else lines.push('The schedule is valid.');
      return lines;
    },
  );
  if (!ok) throw new CliError(`${config}: ${r.problems.length} problem(s), nothing can run`);
}

interface RunRef {
  runFile: string;
  number?: number;
  modules: number;
}

/** A run of the store by number or run file, or an existing run JSON outside the store. */
async function resolveRun(ws: Workspace, arg: string): Promise<RunRef> {
  const trimmed = arg.trim();
  if (trimmed.endsWith('.json') && !fs.existsSync(path.resolve(trimmed))) throw new CliError(`${arg} does not exist`);
  const { findRun } = await import('../station/runs.js');
  try {
    const run = await findRun(ws, trimmed);
    return { runFile: path.resolve(run.run_file), number: run.run_number, modules: await moduleCount(ws, run.id) };
  } catch (e) {
    if (trimmed.endsWith('.json')) return { runFile: path.resolve(trimmed), modules: DEFAULT_MODULES };
    throw new CliError((e as Error).message);
  }
}

async function moduleCount(ws: Workspace, runId: number): Promise<number> {
  const { activeModules } = await import('../station/runs.js');
  return (await activeModules(ws, runId)).length || DEFAULT_MODULES;
}

/** Active modules of the run whose JSON the schedule names, when this station's store knows it. */
async function modulesOfRunFile(ws: Workspace, runFile: string): Promise<number | undefined> {
  // two stations on one database may well have the same run file path, each on its own PC
  const { ownRunId } = await import('../station/runs.js');
  const runId = await ownRunId(ws, 'run_file', runFile);
  return runId === undefined ? undefined : moduleCount(ws, runId);
}

import type { Command } from '@commander-js/extra-typings';
import type { Workspace } from '../station/workspace.js';
import { CliError, emit, withWorkspace } from './common.js';
import { intOption, numberOption } from './parse.js';

export function registerCheck(program: Command<[], { home?: string }>): void {
  const check = program.command('check').description('the pre-run checks of the FAT checklist');

  check
    .command('peripherals')
    .description('thermometer, humidity sensors, filter wheels, function generator (the original simple_check.py)')
    .option('--json', 'print JSON')
    .action(async (opts, cmd) => withWorkspace(cmd, (ws) => checkPeripheralsCommand(ws, opts)));

  check
    .command('laser-freq')
    .description('laser sync seen by the tabletop board at the laser frequency (one automatic retry)')
    .option('--freq <hz>', 'laser frequency', numberOption('--freq'))
    .option('--json', 'print JSON')
    .action(async (opts, cmd) => withWorkspace(cmd, (ws) => checkLaserFreqCommand(ws, opts)));

  check
    .command('visibility')
    .description('can every PMT of the run see the laser? (the original check_laser_visibility.py)')
    .argument('[run]', 'run number or run_NNNNN.json (default: the latest run)')
    .argument('[comment]', 'comment for the record', 'laser visibility check')
    .option('-j, --jobs <n>', 'wire pairs measured in parallel', intOption('--jobs'), 1)
    .option('--events <n>', 'waveforms per PMT', intOption('--events'), 1000)
    .option('--force', 'run even with uncommitted changes in icefat or the station configuration')
    .option('--json', 'print JSON')
    .action(async (runArg, comment, opts, cmd) => withWorkspace(cmd, (ws) => checkVisibilityCommand(ws, runArg, comment, opts)));
}

async function checkPeripheralsCommand(ws: Workspace, opts: { json?: boolean }): Promise<void> {
  const { formatItem } = await import('../records/check-results.js');
  const { latestRun } = await import('../station/runs.js');
  const { peripheralsChecked } = await import('../fat/checks/recorded.js');
  const run = await latestRun(ws);
  const { items, failed } = await peripheralsChecked(ws, run);
  emit(opts.json, { ok: !failed.length, run: run?.run_number ?? null, items }, () => [
    `Peripherals check${run ? ` (run ${run.run_number})` : ''}:`,
    ...items.map(formatItem),
    failed.length ? `${failed.length} peripheral check(s) FAILED: ${failed.map((f) => f.subject).join(', ')}` : 'All peripherals OK.',
  ]);
  if (failed.length) throw new CliError(`${failed.length} peripheral check(s) failed`);
}

async function checkLaserFreqCommand(ws: Workspace, opts: { freq?: number; json?: boolean }): Promise<void> {
  const { formatItem } = await import('../records/check-results.js');
  const { latestRun } = await import('../station/runs.js');
  const { laserFreqChecked } = await import('../fat/checks/recorded.js');
  const freq = opts.freq ?? ws.station.laser.frequency_hz;
  if (!(freq > 0 && freq <= 10000)) throw new CliError(`--freq must be between 0 and 10000 Hz, got ${freq}`);
  const r = await laserFreqChecked(ws, await latestRun(ws), freq, (l) => process.stderr.write(l + '\n'));
  emit(opts.json, r, () => formatItem(r.item));
  if (!r.pass) throw new CliError('laser frequency check failed');
}

interface VisibilityOptions {
  jobs: number;
  events: number;
  force?: boolean;
  json?: boolean;
}

async function checkVisibilityCommand(ws: Workspace, runArg: string | undefined, comment: string, opts: VisibilityOptions): Promise<void> {
  const { formatItem } = await import('../records/check-results.js');
  const { findRun, latestRun } = await import('../station/runs.js');
  const { visibilityChecked } = await import('../fat/checks/recorded.js');
  if (opts.jobs < 1 || opts.jobs > 16) throw new CliError(`--jobs must be 1..16, got ${opts.jobs}`);
  if (opts.events < 10) throw new CliError(`--events must be at least 10, got ${opts.events}`);
  const run = runArg === undefined ? await latestRun(ws) : await findRun(ws, runArg);
  if (!run) throw new CliError('there is no run yet: create one with `fat run new --comment TEXT`');
  let r;
  try {
    r = await visibilityChecked(ws, run, {
      jobs: opts.jobs,
      events: opts.events,
      comment,
      force: Boolean(opts.force),
      progress: (l) => process.stderr.write(l + '\n'),
    });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { git, pmts, items, failures, failed } = r;
  emit(opts.json, { run: run.run_number, git, pmts, failures, items }, () => [
    `Laser visibility, run ${run.run_number}:`,
    ...items.map(formatItem),
    failed.length ? `${failed.length} PMT(s) or module(s) FAILED` : `All ${pmts.length} PMTs see the laser.`,
  ]);
  if (failed.length) throw new CliError(`laser visibility check failed for ${failed.map((f) => f.subject).join('; ')}`);
}

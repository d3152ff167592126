import { Option, type Command } from '@commander-js/extra-typings';
import { TEMPLATE_NAMES } from '../fat/schedule/templates.js';
import type { Workspace } from '../station/workspace.js';
import { CliError, withWorkspace } from './common.js';
import { intOption, numberOption } from './parse.js';
import type { Face } from './preflight-face.js';
import type { PreflightOptions } from './preflight-steps.js';

/**
 * `fat preflight`: the seed's Quick Check list walked in order on one terminal, each step through
 * the library of its own command, each result kept in the store; at the end the master starts as
 * a service. A failed step stops the walk with what to check (on a terminal: retry it now); a
 * rerun picks up after the last passed step of the same run.
 */
export function registerPreflight(program: Command<[], { home?: string }>): void {
  program
    .command('preflight')
    .description(
      "the seed's Quick Check list step by step (DomNet, run, peripherals, laser, visibility, gain, schedule, logbook), then the master as a service",
    )
    .option('--comment <text>', 'comment of the new run (asked for on a terminal)')
    .option('--schedule <file>', "the schedule to run (default: the template's, written to <home>/schedules/run_NNNNN.ini)")
    .addOption(new Option('--template <name>', 'the template when no --schedule is given').choices(TEMPLATE_NAMES).default('standard'))
    .option('--freq <hz>', 'laser frequency of the laser-freq step (default: station.toml)', numberOption('--freq'))
    .option('-j, --jobs <n>', 'wire pairs measured in parallel', intOption('--jobs'), 4)
    .option('--visibility-events <n>', 'waveforms per PMT of the visibility check', intOption('--visibility-events'), 1000)
    .option('--gain-events <n>', 'waveforms per HV point of the gain scan', intOption('--gain-events'), 10000)
    .option('--allow-missing', 'create the run with the D-Eggs that answer even if some do not')
    .option('--allow-dirty', 'measure and start the master with uncommitted changes in icefat or the station configuration (recorded)')
    .option('--restart', 'start a new walk (and a new run) instead of picking up the unfinished one')
    .option('-y, --yes', 'unattended: every confirmation is yes (the laser power supply is on), a failed step ends the walk')
    .option('--json', 'print JSON at the end (progress goes to stderr)')
    .action(async (opts, cmd) => {
      const interactive = !opts.yes;
      if (opts.json && interactive) throw new CliError('--json is for scripts, which answer no questions: add --yes', 2);
      if (interactive && !(process.stdin.isTTY && process.stdout.isTTY))
        throw new CliError('fat preflight asks questions on a terminal; run it in one, or unattended with --yes (and --comment TEXT)', 2);
      if (opts.jobs < 1 || opts.jobs > 16) throw new CliError(`--jobs must be 1..16, got ${opts.jobs}`, 2);
      await withWorkspace(cmd, async (ws) => {
        const { terminalFace, unattendedFace } = await import('./preflight-face.js');
        const out = opts.json ? (s: string) => process.stderr.write(s + '\n') : (s: string) => process.stdout.write(s + '\n');
        const face = interactive ? await terminalFace() : unattendedFace(out);
        const options: PreflightOptions = {
          comment: opts.comment,
          schedule: opts.schedule,
          template: opts.template,
          freq: opts.freq,
          jobs: opts.jobs,
          visibilityEvents: opts.visibilityEvents,
          gainEvents: opts.gainEvents,
          allowDirty: Boolean(opts.allowDirty) || process.env.FAT_ALLOW_DIRTY === '1',
          allowMissing: Boolean(opts.allowMissing),
          operator: process.env.FAT_OPERATOR ?? process.env.USER ?? 'shifter',
        };
        const summary = await walk(ws, face, options, Boolean(opts.restart));
        if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        if (!summary.ok) throw new CliError(`preflight stopped at "${summary.stoppedAt?.title}": ${summary.stoppedAt?.message}`);
      });
    });
}

async function walk(ws: Workspace, face: Face, opts: PreflightOptions, restart: boolean) {
  const { beginWalk, endWalk, recordStep } = await import('../fat/preflight/journal.js');
  const { PREFLIGHT_STEPS } = await import('../fat/preflight/steps.js');
  const { RUNNERS } = await import('./preflight-steps.js');
  // its first step restarts DomNet, which would cut a running master off its D-Eggs
  const { leaseHolder } = await import('../engine/lease.js');
  const holder = await leaseHolder(ws);
  if (holder && !holder.dead)
    throw new CliError(
      `a master (${holder.holder}, since ${holder.acquired_at}) is driving station ${ws.station.name}: the preflight prepares a new run, so end that one first (\`fat status\`, \`fat abort --reason ...\`)`,
    );
  const w = await beginWalk(ws, opts.operator, restart);
  face.begin(`fat preflight: the Quick Check list on station ${ws.station.name}`);
  if (w.resumed) {
    const last = w.results[w.next - 1];
    face.line(`Picking up after step ${w.next} ("${PREFLIGHT_STEPS[w.next - 1].title}", passed ${last.at}); --restart starts over.`);
  }
  let stoppedAt: { step: string; title: string; message: string; advice: string } | undefined;
  for (let i = w.next; i < PREFLIGHT_STEPS.length && !stoppedAt; i++) {
    const step = PREFLIGHT_STEPS[i];
    for (;;) {
      face.step(i + 1, step);
      let outcome;
      let cancelled = false;
      try {
        outcome = await RUNNERS[step.key]({ ws, walk: w, face, opts });
      } catch (e) {
        cancelled = (e as Error).name === 'Cancelled';
        outcome = { state: 'fail' as const, message: (e as Error).message, data: {} };
      }
      const r = await recordStep(ws, w, { step: step.key, ...outcome });
      face.result(r);
      if (r.state !== 'fail') break;
      face.failure(step, r.message, cancelled);
      if (!cancelled && (await face.retry(step).catch(() => false))) continue;
      stoppedAt = { step: step.key, title: step.title, message: r.message, advice: step.advice };
      break;
    }
  }
  await endWalk(ws, w, stoppedAt ? 'failed' : 'done');
  const status = stoppedAt ? undefined : await afterStart(ws, face);
  if (stoppedAt)
    face.end(`The preflight stopped at "${stoppedAt.title}". Fix it, then run \`fat preflight\` again: it picks up at this step.`);
  return { ok: !stoppedAt, preflight: w.id, resumed: w.resumed, steps: w.results, stoppedAt, status };
}

/** What `fat status` shows once the master runs, and when a person is next needed. */
async function afterStart(ws: Workspace, face: Face) {
  const { formatStatus, stationStatus } = await import('../engine/status.js');
  const { formatTime } = await import('../engine/forecast.js');
  const s = await stationStatus(ws);
  face.note(formatStatus(s).join('\n'), 'fat status');
  const next = s.schedule?.nextPerson;
  face.end(
    next
      ? `The master runs. A person is next needed around ${formatTime(next.atMs)} for [${next.idx}] ${next.what}; \`fat status\` shows the run, \`fat answer\` answers its prompts.`
      : 'The master runs; its schedule needs no person until it ends. `fat status` shows the run.',
  );
  return s;
}

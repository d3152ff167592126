import readline from 'node:readline/promises';
import type { Command } from '@commander-js/extra-typings';
import { CliError, withWorkspace } from './common.js';
import { intOption } from './parse.js';
import { heapWarning } from '../util/node-heap.js';

export function registerMaster(program: Command<[], { home?: string }>): void {
  program
    .command('master')
    .description('run the FAT schedule unattended (the original fat_master.py)')
    .argument('<config>', 'schedule file (INI)')
    .option('--recover', 'continue an interrupted run at its first unfinished task')
    .option('--from <n>', 'restart from task N', intOption('--from'))
    .option('--force', 'go on despite a changed schedule file or modules that do not answer (they are excluded)')
    .option('--dry-run', 'run the whole schedule against a simulated lab on virtual time and print how long each task takes')
    .option('--test', 'check the modules, post the schedule to Slack and record MasterFAT_NN; measure nothing (the original --test)')
    .option('--allow-dirty', 'run even with uncommitted changes in icefat or the station configuration (recorded with the results)')
    .action(async (config, opts, cmd) => {
      const heap = heapWarning();
      if (heap) process.stderr.write(`${heap}\n`);
      return withWorkspace(
        cmd,
        async (ws) => {
          const clash = (['dryRun', 'recover', 'from'] as const).filter((o) => opts[o] !== undefined);
          if (opts.test && clash.length)
            throw new CliError(`--test lists a fresh schedule and runs nothing; it does not go with ${clash.map(flagOf).join(', ')}`, 2);
          if (opts.dryRun) {
            const { printDryRun } = await import('./dry-run.js');
            return printDryRun(config);
          }
          // the original's guard (fat_master.py refused a modified degg_measurements); a dry run measures nothing
          const { gitGuard } = await import('../fat/checks/git-guard.js');
          let git;
          try {
            // FAT_ALLOW_DIRTY=1 is for icefat's own test suite, which runs masters from a working tree
            git = gitGuard(ws, Boolean(opts.allowDirty) || process.env.FAT_ALLOW_DIRTY === '1', '--allow-dirty');
          } catch (e) {
            throw new CliError((e as Error).message, 2);
          }
          if (git.forced)
            process.stderr.write(
              `warning: running with uncommitted changes (--allow-dirty): ${[...(git.icefat.changes ?? []), ...(git.station.changes ?? [])].join(', ')}; the git state is recorded with the results\n`,
            );
          const { runMaster } = await import('../engine/master.js');
          const { createNotifier } = await import('../notify/index.js');
          const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
          const ac = new AbortController();
          let interrupts = 0;
          const onSignal = (sig: NodeJS.Signals) => {
            interrupts++;
            if (interrupts > 2) process.exit(130);
            if (!ac.signal.aborted) {
              process.stderr.write(`\n${sig}: stopping after the current step; the run stays recoverable\n`);
              ac.abort(new Error(sig === 'SIGTERM' ? 'stopped by SIGTERM (service stop)' : 'interrupted with Ctrl+C'));
            }
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
          try {
            const outcome = await runMaster(ws, {
              configPath: config,
              recover: Boolean(opts.recover),
              from: opts.from,
              force: Boolean(opts.force),
              test: Boolean(opts.test),
              interactive,
              signal: ac.signal,
              notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, slack: { interactive: true } }),
              askReason: interactive
                ? () =>
                    String((ac.signal.reason as Error | undefined)?.message).includes('SIGTERM')
                      ? Promise.resolve('service stop (SIGTERM)')
                      : askReason()
                : undefined,
            });
            process.stdout.write(`${outcome.message}\n`);
            // exit codes for people and for systemd: 0 = nothing to restart (completed, a "no" to a
            // prompt, a service stop); 130 = Ctrl+C; 1 = failed, restarting with --recover may help
            const byService = ac.signal.aborted && String((ac.signal.reason as Error).message).includes('SIGTERM');
            if (outcome.state === 'failed') throw new CliError(`run ${outcome.runNumber} failed: ${outcome.message}`, 1);
            if (outcome.state === 'interrupted' && !byService) process.exitCode = 130;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        },
        // a dry run writes to a store of its own (engine/dry-run.ts), which checkpoints in the background itself
        { checkpointInBackground: !opts.dryRun },
      );
    });
}

const flagOf = (o: string) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

async function askReason(): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const r = (await rl.question('DAQ Stopped by Manual Interrupt. Please provide a reason: ')).trim();
      if (r) return r;
    }
  } finally {
    rl.close();
  }
}

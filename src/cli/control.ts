import type { Command } from '@commander-js/extra-typings';
import type { ActionRequest } from '../engine/operator-actions.js';
import { CliError, emit, withWorkspace, type AnyCommand } from './common.js';

/**
 * `fat pause|resume|abort|exclude|include`: operator requests to the running master from any
 * terminal, recorded with who asked (FAT_OPERATOR / $USER, or --by) and why. The same function
 * serves the POST endpoints of `fat serve`.
 */
async function ask(cmd: AnyCommand, req: Omit<ActionRequest, 'by' | 'via'>, opts: { by?: string; json?: boolean }): Promise<void> {
  await withWorkspace(cmd, async (ws) => {
    const { OperatorActionError, requestAction } = await import('../engine/operator-actions.js');
    const { operatorName } = await import('../engine/prompts.js');
    const by = opts.by?.trim() || operatorName();
    try {
      const r = await requestAction(ws, { ...req, by, via: 'cli' });
      emit(opts.json, { request: r.request, message: r.message }, () => r.message);
    } catch (e) {
      if (e instanceof OperatorActionError) throw new CliError(`${e.message}; nothing was changed`);
      throw e;
    }
  });
}

export function registerControl(program: Command<[], { home?: string }>): void {
  const by = ['--by <name>', 'who asks (default: $FAT_OPERATOR or $USER)'] as const;
  program
    .command('pause')
    .description('hold the master at the next task boundary (until `fat resume`)')
    .requiredOption('--reason <text>', 'why (recorded and notified)')
    .option(...by)
    .option('--json', 'print JSON')
    .action((opts, cmd) => ask(cmd, { action: 'pause', reason: opts.reason }, opts));
  program
    .command('resume')
    .description('let a paused master go on')
    .option(...by)
    .option('--json', 'print JSON')
    .action((opts, cmd) => ask(cmd, { action: 'resume' }, opts));
  program
    .command('abort')
    .description('stop the run at the next safe point, lab to its safe state; recoverable with `fat master --recover`')
    .requiredOption('--reason <text>', 'why (recorded and notified)')
    .option(...by)
    .option('--json', 'print JSON')
    .action((opts, cmd) => ask(cmd, { action: 'abort', reason: opts.reason }, opts));
  program
    .command('exclude')
    .description('exclude a D-Egg from the rest of the run (later tasks skip it)')
    .argument('<module>', 'serial or port of a D-Egg of the run')
    .requiredOption('--reason <text>', 'why (recorded and notified)')
    .option(...by)
    .option('--json', 'print JSON')
    .action((module, opts, cmd) => ask(cmd, { action: 'exclude', target: module, reason: opts.reason }, opts));
  program
    .command('include')
    .description('take an excluded D-Egg back into the run from the next task on')
    .argument('<module>', 'serial or port of a D-Egg of the run')
    .option('--reason <text>', 'why (recorded)')
    .option(...by)
    .option('--json', 'print JSON')
    .action((module, opts, cmd) => ask(cmd, { action: 'include', target: module, reason: opts.reason }, opts));
}

import type { Command } from '@commander-js/extra-typings';
import { emit, withWorkspace } from './common.js';

export function registerStatus(program: Command<[], { home?: string }>): void {
  program
    .command('status')
    .description('what the station is doing now: run, task, progress, ETA, prompt, next time a person is needed')
    .option('--json', 'print JSON')
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { formatStatus, stationStatus } = await import('../engine/status.js');
        const s = await stationStatus(ws);
        emit(opts.json, s, () => formatStatus(s));
      }),
    );
}

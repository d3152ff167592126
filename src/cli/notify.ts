import type { Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';
import { intOption } from './parse.js';

/**
 * `fat notify flush`: sends the Slack messages still waiting in the station's outbox (after an
 * outage that outlasted the master, say), in order, for up to --timeout seconds, and says how many
 * are left. Exit 1 while some remain.
 */
export function registerNotify(program: Command<[], { home?: string }>): void {
  const notify = program.command('notify').description("the station's Slack outbox");
  notify
    .command('flush')
    .description('send the Slack messages still waiting in the outbox, in order')
    .option('--timeout <s>', 'give up after this many seconds', intOption('--timeout'), 60)
    .option('--json', 'print JSON')
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        if (opts.timeout < 1) throw new CliError(`--timeout must be at least 1 s, got ${opts.timeout}`);
        const { createNotifier } = await import('../notify/index.js');
        const { outboxBacklog } = await import('../notify/slack-outbox.js');
        const before = await outboxBacklog(ws);
        const n = await createNotifier(ws, null, { console: false, runLog: false, store: false });
        if (!n.sender) throw new CliError(`Slack is not set up here, so nothing can be sent: ${n.slack.note ?? ''}`.trim());
        await n.flush(opts.timeout * 1000);
        await n.close({ flushMs: 0 });
        const after = await outboxBacklog(ws);
        const sent = before.count - after.count;
        emit(opts.json, { sent, pending: after.count, lastError: after.lastError }, () =>
          after.count
            ? `${sent} Slack message(s) sent; ${after.count} still waiting (last error: ${after.lastError ?? 'none'})`
            : `${sent} Slack message(s) sent; the outbox is empty`,
        );
        if (after.count) process.exitCode = 1;
      }),
    );
}

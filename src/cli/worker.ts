import type { Command } from '@commander-js/extra-typings';
import { CliError, withWorkspace } from './common.js';
import { intOption } from './parse.js';

/**
 * `fat worker`: runs analysis jobs of every station of a PostgreSQL store until SIGTERM or Ctrl+C,
 * then stops taking jobs and lets the running ones finish (those still running after --grace-s go
 * back to the queue for another worker).
 */
export function registerWorker(program: Command<[], { home?: string }>): void {
  program
    .command('worker')
    .description('run analysis jobs queued by the masters of a PostgreSQL store (several workers share the load)')
    .option('--concurrency <n>', 'jobs at a time', intOption('--concurrency'), 1)
    .option('--maintenance-s <s>', 'how often the queue looks for jobs of dead workers to retry', intOption('--maintenance-s'), 30)
    .option('--poll-s <s>', 'how often an idle worker looks for jobs', intOption('--poll-s'), 2)
    .option('--grace-s <s>', 'on SIGTERM/Ctrl+C, how long running jobs may finish', intOption('--grace-s'), 60)
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { storeUrl } = await import('../station/workspace.js');
        const { startWorker } = await import('../engine/worker.js');
        const { isPostgresUrl } = await import('../store/job-queue.js');
        const url = storeUrl(ws.home, ws.station);
        if (!isPostgresUrl(url))
          throw new CliError(
            `fat worker needs a PostgreSQL store (FAT_DB or [store] url = "postgres://..." in ${ws.home.stationFile}); this station's store is ${url}, where analyses run inside the master`,
            2,
          );
        if (opts.concurrency < 1) throw new CliError(`--concurrency must be at least 1, got ${opts.concurrency}`, 2);
        if (opts.maintenanceS < 1) throw new CliError(`--maintenance-s must be at least 1, got ${opts.maintenanceS}`, 2);
        if (opts.pollS < 1) throw new CliError(`--poll-s must be at least 1, got ${opts.pollS}`, 2);
        const holdRaw = process.env.FAT_WORKER_HOLD_MS;
        const holdMs = holdRaw ? Number(holdRaw) : 0;
        if (!(holdMs >= 0)) throw new CliError(`FAT_WORKER_HOLD_MS=${JSON.stringify(holdRaw)}: expected milliseconds >= 0`, 2);
        const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        const worker = await startWorker({
          url,
          db: ws.db,
          concurrency: opts.concurrency,
          maintenanceS: opts.maintenanceS,
          pollS: opts.pollS,
          holdMs,
          log,
        });
        await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        }).then((sig) => log(`${sig}: no new jobs; waiting up to ${opts.graceS} s for the running ones`));
        await worker.stop(opts.graceS * 1000);
        log(`worker stopped after ${worker.done()} job(s)`);
      }),
    );
}

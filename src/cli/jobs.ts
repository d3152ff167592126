import type { Command } from '@commander-js/extra-typings';
import type PgBoss from 'pg-boss';
import type { Workspace } from '../station/workspace.js';
import type { JobRow } from '../store/job-queue.js';
import { CliError, emit, withWorkspace } from './common.js';
import { intOption } from './parse.js';

/** `fat jobs [--failed] [--json]` and `fat jobs retry ID`: the analysis jobs of a PostgreSQL store. */
export function registerJobs(program: Command<[], { home?: string }>): void {
  const jobs = program
    .command('jobs')
    .description('analysis jobs of a PostgreSQL store: state, worker result or error (`fat jobs retry ID` re-queues a failed one)')
    .option('--failed', 'only failed jobs')
    .option('--station <name>', 'only jobs of this station')
    .option('--limit <n>', 'at most this many, newest first', intOption('--limit'), 50)
    .option('--json', 'print JSON')
    .action(async (opts, cmd) =>
      withBoss(cmd, async (boss) => {
        const { listJobs } = await import('../store/job-queue.js');
        const rows = await listJobs(boss, { failed: opts.failed, station: opts.station, limit: opts.limit });
        emit(opts.json, rows, () => (rows.length ? rows.map(formatJob) : [`no ${opts.failed ? 'failed ' : ''}analysis jobs`]));
      }),
    );
  jobs
    .command('retry')
    .description('put a failed analysis job back in the queue')
    .argument('<id>', 'job id (from `fat jobs --failed`)')
    .option('--json', 'print JSON')
    .action(async (id, opts, cmd) =>
      withBoss(cmd, async (boss) => {
        const { retryJob } = await import('../store/job-queue.js');
        const row = await retryJob(boss, id).catch((e: Error) => {
          throw new CliError(e.message);
        });
        emit(opts.json, row, () => `job ${row.id} is queued again (state ${row.state}) for \`fat worker\``);
      }),
    );
}

async function withBoss(cmd: Parameters<typeof withWorkspace>[0], fn: (boss: PgBoss, ws: Workspace) => Promise<void>) {
  return withWorkspace(cmd, async (ws) => {
    const { storeUrl } = await import('../station/workspace.js');
    const { isPostgresUrl, openBoss } = await import('../store/job-queue.js');
    const url = storeUrl(ws.home, ws.station);
    if (!isPostgresUrl(url))
      throw new CliError(
        `this station's store is ${url}: analysis jobs exist only on a PostgreSQL store (with SQLite they run inside the master)`,
        2,
      );
    const boss = await openBoss(url);
    try {
      await fn(boss, ws);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });
}

function formatJob(j: JobRow): string {
  const d = j.data;
  const head = `${j.id}  ${j.state.padEnd(9)}  ${d.station} run id ${d.runId} task ${d.taskId} ${d.analysis} (${d.number})  tries ${j.retryCount}/${j.retryLimit}  created ${j.createdOn.slice(0, 19)}`;
  const err = j.error;
  const msg = j.state === 'completed' ? (j.output as { message?: string } | null)?.message : undefined;
  return [head, err ? `    error: ${err}` : msg ? `    ${msg}` : ''].filter(Boolean).join('\n');
}

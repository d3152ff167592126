import type PgBoss from 'pg-boss';
import { z } from 'zod';
import type { AnalysisJobData, JobRow, JobState } from './job-row.js';

export type { AnalysisJobData, JobRow, JobState } from './job-row.js';

/**
 * The analysis job queue of a PostgreSQL store: pg-boss in its own schema (`pgboss`) of the same
 * database. The master sends, `fat worker` works, `fat jobs` and the dashboard list and retry.
 * A SQLite store has no queue: its analyses run in process (tasks/trigger-remote-wrapper.ts).
 */
export const ANALYSIS_QUEUE = 'fat-analysis';
export const JOBS_SCHEMA = 'pgboss';

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** A job's data, checked where a worker takes it. */
export const analysisJobData = z
  .object({
    station: z.string().min(1),
    home: z.string().min(1),
    runId: z.number().int().positive(),
    taskId: z.number().int().positive(),
    analysis: z.string().min(1),
    number: z.string().min(1),
  })
  .strict() satisfies z.ZodType<AnalysisJobData>;

export interface JobPolicy {
  retryLimit: number;
  retryDelayS: number;
  /** an active job not completed within this time is taken as dead (its worker killed) and retried */
  expireInS: number;
}

/**
 * The send policy, from the environment (defaults in brackets): FAT_JOB_RETRY_LIMIT [3],
 * FAT_JOB_RETRY_DELAY_S [30, doubled each retry], FAT_JOB_EXPIRE_S [900].
 */
export function jobPolicy(env: NodeJS.ProcessEnv = process.env): JobPolicy {
  const num = (name: string, dflt: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min)
      throw new Error(`environment variable ${name}=${JSON.stringify(raw)}: expected a whole number >= ${min}`);
    return v;
  };
  return {
    retryLimit: num('FAT_JOB_RETRY_LIMIT', 3, 0),
    retryDelayS: num('FAT_JOB_RETRY_DELAY_S', 30, 0),
    expireInS: num('FAT_JOB_EXPIRE_S', 900, 1),
  };
}

export interface BossOptions {
  /** run pg-boss maintenance (expiry of jobs of dead workers, archiving): workers do, senders do not */
  supervise?: boolean;
  maintenanceS?: number;
  onError?: (e: Error) => void;
}

export async function openBoss(url: string, opts: BossOptions = {}): Promise<PgBoss> {
  // loaded here: a SQLite station (its dashboard, its master) never needs the queue
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: url,
    schema: JOBS_SCHEMA,
    max: 4,
    supervise: Boolean(opts.supervise),
    schedule: false,
    ...(opts.maintenanceS ? { maintenanceIntervalSeconds: opts.maintenanceS, monitorStateIntervalSeconds: opts.maintenanceS } : {}),
    // failed jobs stay listable (and retryable) for a month
    archiveFailedAfterSeconds: 30 * 24 * 3600,
  });
  // pg-boss reports connection trouble as 'error' events; unheard they would crash the process
  boss.on('error', (e: Error) => (opts.onError ?? ((x: Error) => process.stderr.write(`job queue: ${x.message}\n`)))(e));
  try {
    await boss.start();
    if (!(await boss.getQueue(ANALYSIS_QUEUE))) await boss.createQueue(ANALYSIS_QUEUE, { name: ANALYSIS_QUEUE, policy: 'stately' });
  } catch (e) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw new Error(`the analysis job queue (pg-boss, schema ${JOBS_SCHEMA}) could not be opened: ${(e as Error).message}`, { cause: e });
  }
  return boss;
}

export const singletonKeyOf = (d: Pick<AnalysisJobData, 'station' | 'taskId' | 'analysis'>) =>
  `${d.station}/task/${d.taskId}/${d.analysis}`;

/**
 * Queues one analysis of one task. The queue is 'stately' and the key names station, task and
 * analysis, so a second send while the first is waiting or running queues nothing and returns the
 * job already there.
 */
export async function sendAnalysisJob(url: string, data: AnalysisJobData, policy = jobPolicy()): Promise<{ id: string; queued: boolean }> {
  const boss = await openBoss(url);
  try {
    const singletonKey = singletonKeyOf(data);
    const id = await boss.send(ANALYSIS_QUEUE, data, {
      singletonKey,
      retryLimit: policy.retryLimit,
      retryDelay: policy.retryDelayS,
      retryBackoff: policy.retryDelayS > 0,
      expireInSeconds: policy.expireInS,
    });
    if (id) return { id, queued: true };
    const { rows } = await boss
      .getDb()
      .executeSql(
        `SELECT id FROM ${JOBS_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state <= 'active' ORDER BY created_on DESC LIMIT 1`,
        [ANALYSIS_QUEUE, singletonKey],
      );
    const existing = (rows as Array<{ id: string }>)[0]?.id;
    if (!existing) throw new Error(`the job queue refused analysis ${data.analysis} of task ${data.taskId} and holds no job for it`);
    return { id: existing, queued: false };
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** The analysis jobs, newest first, live and archived. */
export async function listJobs(
  boss: PgBoss,
  opts: { failed?: boolean; station?: string; id?: string; limit?: number } = {},
): Promise<JobRow[]> {
  const cols = `id, state, data, output, retry_count, retry_limit, created_on, started_on, completed_on`;
  const where = [`name = $1`];
  const params: unknown[] = [ANALYSIS_QUEUE];
  if (opts.id) {
    params.push(opts.id);
    where.push(`id = $${params.length}`);
  }
  if (opts.failed) where.push(`state = 'failed'`);
  if (opts.station) {
    params.push(opts.station);
    where.push(`data->>'station' = $${params.length}`);
  }
  params.push(opts.limit ?? 200);
  const sql = `SELECT * FROM (
      SELECT ${cols}, false AS archived FROM ${JOBS_SCHEMA}.job WHERE ${where.join(' AND ')}
      UNION ALL
      SELECT ${cols}, true AS archived FROM ${JOBS_SCHEMA}.archive WHERE ${where.join(' AND ')}
    ) j ORDER BY created_on DESC LIMIT $${params.length}`;
  const { rows } = await boss.getDb().executeSql(sql, params);
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    id: String(r.id),
    state: r.state as JobState,
    data: r.data as AnalysisJobData,
    output: r.output ?? null,
    error: errorOf(r.state as JobState, r.output),
    retryCount: Number(r.retry_count),
    retryLimit: Number(r.retry_limit),
    createdOn: iso(r.created_on)!,
    startedOn: iso(r.started_on),
    completedOn: iso(r.completed_on),
    archived: Boolean(r.archived),
  }));
}

function errorOf(state: JobState, output: unknown): string | null {
  if (state !== 'failed' && state !== 'retry') return null;
  if (output == null) return state === 'retry' ? null : 'failed without an error (expired: its worker died?)';
  const o = output as { message?: unknown; value?: unknown };
  if (typeof o.message === 'string') return o.message;
  return JSON.stringify(output);
}

/** A request about a job that cannot be met: 'invalid' id, 'not-found', or 'conflict' (not in a state that allows it). */
export class JobRequestError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'not-found' | 'conflict',
  ) {
    super(message);
    this.name = 'JobRequestError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Puts a failed job back in the queue; an error names why not (unknown id, not failed). */
export async function retryJob(boss: PgBoss, id: string): Promise<JobRow> {
  if (!UUID.test(id))
    throw new JobRequestError(`job id ${JSON.stringify(id)} is not a job id (a UUID, as \`fat jobs\` lists them)`, 'invalid');
  const before = (await listJobs(boss, { id }))[0];
  if (!before) throw new JobRequestError(`no analysis job ${id} (see \`fat jobs\`)`, 'not-found');
  if (before.archived) throw new JobRequestError(`job ${id} is archived (state ${before.state}) and can no longer be retried`, 'conflict');
  if (before.state !== 'failed')
    throw new JobRequestError(`job ${id} is ${before.state}, not failed: only failed jobs are retried`, 'conflict');
  await boss.retry(ANALYSIS_QUEUE, id);
  return (await listJobs(boss, { id }))[0];
}

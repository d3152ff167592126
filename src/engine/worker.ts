import fs from 'node:fs';
import os from 'node:os';
import type PgBoss from 'pg-boss';
import { ScaledClock } from '../clock/clock.js';
import { homePaths, type Workspace } from '../station/workspace.js';
import { activeRunModules } from '../station/runs.js';
import { loadStation } from '../lab/station.js';
import { enqueueSlack } from '../notify/slack-outbox.js';
import { eventRow } from '../notify/store-sink.js';
import type { FatEvent } from '../station/events.js';
import { ANALYSIS_QUEUE, analysisJobData, openBoss, type AnalysisJobData } from '../store/job-queue.js';
import type { Db } from '../store/open.js';
import { executeWrites } from '../store/write-set.js';
import { ANALYSES, runAnalysisJob, type AnalysisJobResult, type AnalysisName } from '../tasks/analysis-jobs.js';
import { parseEntryNumber } from '../tasks/measurement-entries.js';
import type { TaskContext } from '../tasks/types.js';
import { TaskRecord } from '../records/task-record.js';
import { LabPlugs } from '../station/lab-plugs.js';

/**
 * `fat worker`: takes analysis jobs from the queue and runs them as the master would have run them
 * in process (tasks/analysis-jobs.ts), writing results, events and the task's result to the store
 * of the station that queued them. Any machine that reaches the database and sees the station's
 * home folder at the same path (module files and raw data are files there) can work.
 *
 * A job's effect is idempotent: its results replace the task's earlier rows in one transaction and
 * the task's result is overwritten, so a job re-run after its worker died leaves one set of rows.
 */
export interface WorkerOptions {
  url: string;
  db: Db;
  concurrency: number;
  /** pg-boss maintenance interval: how soon the job of a dead worker is noticed (it expires first) */
  maintenanceS: number;
  pollS: number;
  /**
   * wall ms a job waits after writing its results, before the queue hears it is complete
   * (FAT_WORKER_HOLD_MS): the window in which a dead worker leaves written results behind a job
   * that runs again; tests kill a worker there
   */
  holdMs?: number;
  log(line: string): void;
}

export interface RunningWorker {
  /** jobs finished (completed or failed) by this worker */
  done(): number;
  /** stops taking jobs, lets running ones finish (up to timeoutMs), hands the rest back to the queue */
  stop(timeoutMs?: number): Promise<void>;
}

export const WORKER_NAME = `${os.hostname()}:${process.pid}`;

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const boss: PgBoss = await openBoss(o.url, {
    supervise: true,
    maintenanceS: o.maintenanceS,
    onError: (e) => o.log(`job queue error: ${e.message}`),
  });
  let finished = 0;
  const ac = new AbortController();
  const handler = async (jobs: Array<PgBoss.Job<unknown>>) => {
    const out: unknown[] = [];
    for (const job of jobs) {
      try {
        out.push(await runJob(o, job.id, job.data, ac.signal));
      } finally {
        finished++;
      }
    }
    return out.length === 1 ? out[0] : out;
  };
  for (let i = 0; i < o.concurrency; i++)
    await boss.work(ANALYSIS_QUEUE, { batchSize: 1, pollingIntervalSeconds: o.pollS }, handler as PgBoss.WorkHandler<unknown>);
  o.log(`worker ${WORKER_NAME}: ${o.concurrency} at a time from queue ${ANALYSIS_QUEUE}`);
  return {
    done: () => finished,
    async stop(timeoutMs = 60_000) {
      await boss.offWork(ANALYSIS_QUEUE);
      // graceful: running jobs finish; those still running at the timeout go back to the queue
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
      ac.abort(new Error('worker stopped'));
    },
  };
}

/** Runs one job; throws (the job fails, pg-boss retries it) with the station, run and task named. */
export async function runJob(o: Pick<WorkerOptions, 'db' | 'holdMs' | 'log'>, jobId: string, raw: unknown, signal: AbortSignal) {
  const parsed = analysisJobData.safeParse(raw);
  if (!parsed.success)
    throw new Error(`job ${jobId}: malformed job data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const d = parsed.data;
  const label = `job ${jobId} (${d.analysis} of station ${d.station}, task ${d.taskId})`;
  if (!(ANALYSES as readonly string[]).includes(d.analysis)) throw new Error(`${label}: unknown analysis ${JSON.stringify(d.analysis)}`);
  const ws = jobWorkspace(o.db, d);
  const { ctx, flush } = await jobContext(ws, d, jobId, signal);
  ctx.emit({
    level: 'info',
    kind: 'job.start',
    message: `analysis ${d.analysis} started by worker ${WORKER_NAME} (job ${jobId})`,
    audience: 'log',
    data: { jobId, analysis: d.analysis, taskId: d.taskId, worker: WORKER_NAME },
  });
  o.log(`${label}: started`);
  let r: AnalysisJobResult;
  try {
    r = await runAnalysisJob(ctx, d.analysis as AnalysisName, parseEntryNumber(d.number, `job ${jobId}: number`));
  } catch (e) {
    ctx.emit({
      level: 'error',
      kind: 'job.failed',
      message: `trigger_remote_wrapper: analysis ${d.analysis} failed (job ${jobId}, worker ${WORKER_NAME}): ${(e as Error).message}`,
      audience: 'channel',
      data: { jobId, analysis: d.analysis, taskId: d.taskId },
    });
    await flush();
    throw e;
  }
  const result = { ...r, number: d.number, jobId, worker: WORKER_NAME };
  // what the analysis put on record commits with the task's result, then its documents are exported
  await ws.db.transaction().execute(async (tx) =>
    executeWrites(tx, [
      ...(await ctx.record.writes(tx)),
      tx
        .updateTable('tasks')
        .set({ result: JSON.stringify(result) })
        .where('id', '=', d.taskId),
    ]),
  );
  await ctx.record.exportDocs();
  ctx.emit({
    level: r.problems.length ? 'warn' : 'info',
    kind: `analysis.${r.status}`,
    message: `trigger_remote_wrapper: ${r.message}`,
    audience: 'channel',
    data: { analysis: d.analysis, number: d.number, status: r.status, jobId, worker: WORKER_NAME },
  });
  await flush();
  o.log(`${label}: ${r.message}`);
  if (o.holdMs) await new Promise((res) => setTimeout(res, o.holdMs));
  return result;
}

/** The station of the job, as its master sees it, on this worker's connection to the store. */
function jobWorkspace(db: Db, d: AnalysisJobData): Workspace {
  const home = homePaths(d.home);
  if (!fs.existsSync(home.stationFile))
    throw new Error(
      `station ${d.station}: its home folder ${d.home} is not readable here (no ${home.stationFile}): a worker needs the station's home at the same path (module files and raw data live there)`,
    );
  const station = loadStation(home.stationFile);
  if (station.name !== d.station) throw new Error(`the job names station ${d.station}, but ${home.stationFile} is station ${station.name}`);
  return {
    home,
    station,
    db,
    clock: new ScaledClock(station.clock.time_scale, station.clock.origin ? Date.parse(station.clock.origin) : Date.now()),
    close: async () => undefined,
  };
}

async function jobContext(
  ws: Workspace,
  d: AnalysisJobData,
  jobId: string,
  signal: AbortSignal,
): Promise<{ ctx: TaskContext; flush: () => Promise<void> }> {
  const run = await ws.db
    .selectFrom('runs')
    .select(['id', 'run_number', 'run_file'])
    .where('id', '=', d.runId)
    .where('station', '=', d.station)
    .executeTakeFirst();
  if (!run) throw new Error(`job ${jobId}: station ${d.station} has no run with id ${d.runId} in this store`);
  const task = await ws.db
    .selectFrom('tasks')
    .select(['id', 'idx', 'section', 'kind', 'attempts'])
    .where('id', '=', d.taskId)
    .executeTakeFirst();
  if (!task) throw new Error(`job ${jobId}: run ${run.run_number} of station ${d.station} has no task with id ${d.taskId}`);
  const modules = await activeRunModules(ws, run.id);
  const pending: Array<Promise<unknown>> = [];
  const emit = (e: Omit<FatEvent, 'timeMs' | 'runId'>) => {
    const ev: FatEvent = { ...e, timeMs: ws.clock.now(), runId: run.id };
    // the store is where the dashboard and `fat status` see it; the master's Slack sender sends the outbox
    pending.push(
      ws.db
        .insertInto('events')
        .values(eventRow(ws.station.name, ev))
        .execute()
        .then(() => enqueueSlack(ws, run.id, ev))
        .catch(() => undefined),
    );
  };
  // an analysis uses no instrument; were one asked for, it is closed with the job
  const lab = new LabPlugs(ws.station, ws.clock);
  const ctx: TaskContext = {
    ws,
    record: new TaskRecord(ws, { runId: run.id, taskId: task.id }),
    lab,
    run: { id: run.id, number: run.run_number, runFile: run.run_file },
    modules,
    task: { id: task.id, index: task.idx, section: task.section, kind: task.kind, attempt: task.attempts },
    recovering: false,
    signal,
    progress: () => undefined,
    emit,
    prompt: () => Promise.reject(new Error(`job ${jobId}: an analysis job cannot ask a person`)),
    excludeModule: () => Promise.reject(new Error(`job ${jobId}: an analysis job cannot exclude a module`)),
  };
  return { ctx, flush: async () => void (await Promise.all([...pending.splice(0), lab.close()])) };
}

import fs from 'node:fs';
import type { Workspace } from '../station/workspace.js';
import { supersedeTaskEntries } from '../records/entries.js';
import { TaskRecord } from '../records/task-record.js';
import { LabPlugs } from '../station/lab-plugs.js';
import { RunStoppedByOperator } from '../tasks/manual-input.js';
import type { ActiveModule, TaskContext, TaskKind } from '../tasks/types.js';
import type { FatEvent } from '../station/events.js';
import type { TaskTable } from '../store/schema.js';
import type { Selectable } from 'kysely';
import { finishTask, reportProgress, startTask } from './journal.js';
import { taskStateChange } from '../records/master-entry.js';
import { answerPrompt, openPrompt, waitForAnswer } from './prompts.js';
import { namedDiskFull } from '../util/disk-space.js';
import type { CoalescedExports } from '../records/coalesced-export.js';

/**
 * Runs one task of the journal: marks it running, gives the kind its context (progress, events,
 * prompts, module exclusion), watches that it makes progress, and records how it ended.
 */
export type Emit = (e: Omit<FatEvent, 'timeMs' | 'runId'>) => void;

export class Interrupted extends Error {
  constructor(readonly reason: string) {
    super(`interrupted: ${reason}`);
    this.name = 'Interrupted';
  }
}

export class TaskFailed extends Error {
  constructor(
    readonly task: string,
    message: string,
    readonly trace: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'TaskFailed';
  }
}

export interface RunScope {
  ws: Workspace;
  run: { id: number; number: number; runFile: string };
  masterKey: string;
  modules: ActiveModule[];
  emit: Emit;
  interactive: boolean;
  /** dry runs: every prompt is answered "yes" at once by this name */
  autoAnswer?: string;
  signal: AbortSignal;
  recovering: boolean;
  watchdogFactor: number;
  /** how often the watchdog looks, in wall milliseconds (default WATCHDOG_POLL_MS) */
  watchdogPollMs?: number;
  /** the master's coalesced writes of the run and D-Egg files; unset: each task's files are written at its end */
  exports?: CoalescedExports;
}

/** how often the watchdog looks (wall time) */
export const WATCHDOG_POLL_MS = 5000;

/** Housekeeping kinds are not announced to Slack one by one (the original's list_schedule skip list). */
export const QUIET_KINDS = new Set([
  'status_check',
  'disable_laser',
  'manual_input',
  'online_mon',
  'bootmon',
  'slowmon',
  'trigger_remote_wrapper',
  'analysis_wrapper',
  'set_freezer',
  'validate_gain',
  'constant_monitor',
  'wait_time',
]);

export async function excludeModule(scope: RunScope, port: number, reason: string): Promise<void> {
  const m = scope.modules.find((x) => x.port === port);
  await scope.ws.db
    .updateTable('modules')
    .set({ state: 'excluded', state_reason: reason })
    .where('run_id', '=', scope.run.id)
    .where('port', '=', port)
    .execute();
  const i = scope.modules.findIndex((x) => x.port === port);
  if (i >= 0) scope.modules.splice(i, 1);
  scope.emit({
    level: 'warn',
    kind: 'module.excluded',
    message: `D-Egg ${m?.serial ?? '?'} on port ${port} is excluded from the rest of the run: ${reason}`,
    audience: 'people',
    data: { port, reason },
  });
}

export function contextFor(
  scope: RunScope,
  t: { id: number; idx: number; section: string; kind: string },
  attempt: number,
  onProgress: () => void,
  /** told while the task waits for a person, which is not a stall */
  waitingForPerson: (waiting: boolean) => void = () => {},
): TaskContext {
  const { ws } = scope;
  let lastWrite = 0;
  return {
    ws,
    record: new TaskRecord(ws, { runId: scope.run.id, taskId: t.id || null }),
    lab: new LabPlugs(ws.station, ws.clock),
    run: scope.run,
    modules: scope.modules,
    task: { id: t.id, index: t.idx, section: t.section, kind: t.kind, attempt },
    recovering: scope.recovering,
    signal: scope.signal,
    progress: (fraction, note = '') => {
      onProgress();
      // the store needs no more than one progress write a second
      if (Date.now() - lastWrite < 1000 && fraction < 1) return;
      lastWrite = Date.now();
      void reportProgress(ws, t.id, fraction, note, ws.clock.now()).catch(() => undefined);
    },
    emit: scope.emit,
    prompt: async (kind, message) => {
      const id = await openPrompt(ws, scope.run.id, t.id, kind, message, ws.clock.now());
      // a prompt answered while no master ran (after a crash) is not announced again
      const answeredBefore = await ws.db.selectFrom('prompts').select('answered_at').where('id', '=', id).executeTakeFirst();
      if (!answeredBefore?.answered_at) {
        scope.emit({
          level: 'warn',
          kind: 'prompt.open',
          message: `DAQ is waiting for manual input: ${message} (answer at the master's terminal or with \`fat answer yes|no\`)`,
          audience: 'people',
          data: { promptId: id },
        });
      }
      if (scope.autoAnswer) await answerPrompt(ws, id, { answer: 'yes', reason: null, answeredBy: scope.autoAnswer, via: 'dry-run' });
      waitingForPerson(true);
      const a = await waitForAnswer(ws, id, message, scope.signal, scope.interactive && !scope.autoAnswer).finally(() =>
        waitingForPerson(false),
      );
      onProgress();
      scope.emit({
        level: a.answer === 'yes' ? 'info' : 'warn',
        kind: 'prompt.answered',
        message:
          a.answer === 'yes'
            ? `Manual input received from ${a.answeredBy} (${a.via}), continuing schedule...`
            : `Manual input from ${a.answeredBy} (${a.via}): NO. Reason given: ${a.reason ?? '-'}`,
        audience: 'channel',
        data: { promptId: id, ...a },
      });
      return a;
    },
    excludeModule: (port, reason) => excludeModule(scope, port, reason),
  };
}

/** Marks what the task's earlier, failed attempts put in the D-Egg files as superseded (on this attempt's record). */
async function supersedeEarlierEntries(scope: RunScope, ctx: TaskContext, t: Selectable<TaskTable>, attempt: number): Promise<void> {
  const files = await scope.ws.db.selectFrom('modules').select(['json_file', 'degg_serial']).where('run_id', '=', scope.run.id).execute();
  const note = `attempt ${attempt - 1} of [${t.idx}] ${t.section} did not finish; measured again by attempt ${attempt}`;
  const marked: string[] = [];
  for (const f of files)
    if (fs.existsSync(f.json_file)) {
      const keys = await ctx.record.update(f.json_file, (doc) => supersedeTaskEntries(doc, t.id, note));
      marked.push(...keys.map((k) => `${f.degg_serial} ${k}`));
    }
  if (marked.length)
    scope.emit({
      level: 'info',
      kind: 'task.superseded',
      message: `[${t.idx}] ${t.section}: ${marked.length} D-Egg file entr${marked.length === 1 ? 'y' : 'ies'} of the unfinished attempt marked Superseded`,
      audience: 'log',
      data: { taskId: t.id, marked },
    });
}

/**
 * An attempt that ran to its end (done or failed): its state in the run file's MasterFAT entry and
 * the task's end and its record in one transaction, then the documents' files (at once, or
 * coalesced by the master). A kind that recorded a quantity it does not declare raises one alert
 * for the expert.
 */
async function endWithRecord(
  scope: RunScope,
  ctx: TaskContext,
  t: Selectable<TaskTable>,
  state: 'done' | 'failed',
  outcome: { result?: unknown; error?: string; trace?: string },
): Promise<void> {
  const note = ctx.record.undeclaredNote();
  if (note) scope.emit({ level: 'error', kind: 'result.undeclared', message: note, audience: 'people' });
  ctx.record.stage(scope.run.runFile, taskStateChange(scope.masterKey, t.idx, t.section, state === 'done' ? 1 : 0));
  await finishTask(scope.ws, t.id, state, scope.ws.clock.now(), { ...outcome, record: ctx.record });
  await ctx.record.exportDocs(scope.exports);
}

export async function runTask(scope: RunScope, t: Selectable<TaskTable>, kind: TaskKind): Promise<unknown> {
  const { ws } = scope;
  const attempt = await startTask(ws, t.id, ws.clock.now());
  scope.emit({
    level: 'info',
    kind: 'task.start',
    message: `[${t.idx}] ${t.section} (${kind.name})${attempt > 1 ? `, attempt ${attempt}` : ''}`,
    audience: QUIET_KINDS.has(kind.name) ? 'log' : 'channel',
    data: { taskId: t.id, idx: t.idx },
  });

  // watchdog: one alert when the task stays silent far longer than its estimate allows
  let lastProgressLab = ws.clock.now();
  let alerted = false;
  let waitingForPerson = false;
  const limitMs = Math.max(600, t.estimate_s * scope.watchdogFactor) * 1000;
  // a wall-time look at lab time in the background: it never holds the task up
  const watchdog = setInterval(() => {
    if (alerted || waitingForPerson || ws.clock.now() - lastProgressLab < limitMs) return;
    alerted = true;
    scope.emit({
      level: 'warn',
      kind: 'task.stalled',
      message: `[${t.idx}] ${t.section} has made no progress for ${Math.round((ws.clock.now() - lastProgressLab) / 60000)} min (estimate ${Math.round(t.estimate_s / 60)} min): check the master (\`fat status\`); if it hangs, stop it with Ctrl+C and restart with --recover`,
      audience: 'people',
    });
  }, scope.watchdogPollMs ?? WATCHDOG_POLL_MS);
  watchdog.unref();

  const ctx = contextFor(
    scope,
    t,
    attempt,
    () => (lastProgressLab = ws.clock.now()),
    (waiting) => {
      waitingForPerson = waiting;
      lastProgressLab = ws.clock.now();
    },
  );
  ctx.record.declare(kind.name, kind.quantities);
  try {
    const params = kind.params.parse(JSON.parse(t.params));
    // a scan that resumes its own folder (measure_gain resume = True) builds on what came before
    if (attempt > 1 && (params as { resume?: unknown }).resume !== true) await supersedeEarlierEntries(scope, ctx, t, attempt);
    const result = await kind.run(ctx, params);
    await endWithRecord(scope, ctx, t, 'done', { result: result ?? {} });
    scope.emit({
      level: 'info',
      kind: 'task.done',
      message: `[${t.idx}] ${t.section} done`,
      audience: 'log',
      data: { taskId: t.id, result },
    });
    return result;
  } catch (e) {
    if (scope.signal.aborted) {
      // Ctrl+C or a stop: the task runs again on --recover; this attempt is kept as interrupted,
      // and what it measured is not put on record (its raw files stay in their folder)
      await finishTask(ws, t.id, 'pending', ws.clock.now(), { attemptOutcome: 'interrupted', error: 'interrupted' });
      throw new Interrupted(String((scope.signal.reason as Error | undefined)?.message ?? 'interrupted'));
    }
    const err = namedDiskFull(e, ws.home.dataDir) as Error;
    const trace = (e as Error).stack ?? String(e);
    // a failed task keeps what it measured before it failed, with its state 0 in the run file
    await endWithRecord(scope, ctx, t, 'failed', { error: err.message, trace });
    if (e instanceof RunStoppedByOperator) throw e;
    throw new TaskFailed(t.section, `[${t.idx}] ${t.section} failed: ${err.message}`, trace, err);
  } finally {
    clearInterval(watchdog);
    await tearDownLab(scope, ctx);
  }
}

/** The task's instruments torn down, whatever way it ended; a laser that would not turn off is an alert. */
async function tearDownLab(scope: RunScope, ctx: TaskContext): Promise<void> {
  for (const problem of await ctx.lab.close())
    scope.emit({
      level: 'error',
      kind: 'lab.teardown',
      message: `[${ctx.task.index}] ${ctx.task.section}: ${problem}`,
      audience: 'people',
    });
}

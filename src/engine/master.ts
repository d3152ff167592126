import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import { verifyModule } from '../station/module-link.js';
import { activeRunModules } from '../station/runs.js';
import { catalogue, findKind, type Catalogue } from '../tasks/catalogue.js';
import { groupWarnings, parseSchedule, type Schedule } from '../fat/schedule/parse.js';
import { runName } from '../records/run-files.js';
import { RunStoppedByOperator } from '../tasks/manual-input.js';
import { checkModules, reportFlashes } from '../tasks/status-check.js';
import type { Selectable } from 'kysely';
import type { ActiveModule, TaskKind } from '../tasks/types.js';
import type { TaskTable } from '../store/schema.js';
import type { FatEvent } from '../station/events.js';
import { BackupLane, sweepStaging } from './backup-lane.js';
import { conditionsDue, holdForConditions, type ConditionsCheck } from './conditions.js';
import { forecastOf, formatDuration, formatTime } from './forecast.js';
import { condensedSchedule } from './listing.js';
import { testSchedule } from './master-test.js';
import {
  activeSchedule,
  closeStalePrompts,
  createSchedule,
  endSchedule,
  lastDoneBefore,
  latestSchedule,
  markSkippedBefore,
  nextPendingTask,
  reopenFailed,
  resetFrom,
  scheduleTasks,
  supersedeInterrupted,
} from './journal.js';
import { acquireLease } from './lease.js';
import { archiveConfig, nextMasterKey, setMasterFields, writeMasterEntry } from '../records/master-entry.js';
import { exportPending, readDoc } from '../records/json-docs.js';
import { CoalescedExports } from '../records/coalesced-export.js';
import { dropPending, dropStaleAborts, OperatorAbort, operatorControl, type OperatorControl } from './operator-hold.js';
import { markHandled } from './operator-queue.js';
import { bringToSafeState } from './safe-state.js';
import { holdForDiskSpace } from './disk-hold.js';
import { reviveOrExclude, runTaskThroughModuleFaults } from './module-faults.js';
import { contextFor, excludeModule, Interrupted, TaskFailed, type Emit, type RunScope } from './task-runner.js';

/**
 * `fat master`: validate the whole schedule, take the station, test that every module answers,
 * then work through the journal task by task until the end, a failure or a stop, leaving the lab
 * in its safe state and the run recoverable.
 */
export interface MasterOptions {
  configPath: string;
  recover: boolean;
  from?: number;
  force: boolean;
  interactive: boolean;
  /** the original's --test: build and list the schedule, record MasterFAT_NN, measure nothing */
  test?: boolean;
  /** dry runs: the run file to use instead of the schedule's, and prompts answered "yes" at once */
  dryRun?: { runFile: string; answeredBy: string };
  /** the event fan-out (console, run log, store, Slack) for this run */
  notifier: (runId: number, runNumber: number) => Promise<{ emit(e: FatEvent): void; close(opts?: { flushMs?: number }): Promise<void> }>;
  /** aborted by Ctrl+C or a service stop; its reason (an Error) is recorded */
  signal: AbortSignal;
  /** asked once the run has stopped after an interruption */
  askReason?: () => Promise<string>;
}

export interface MasterOutcome {
  runNumber: number;
  state: 'completed' | 'stopped' | 'failed' | 'interrupted' | 'aborted' | 'tested';
  message: string;
}

export class MasterError extends Error {}

const DIGEST_MS = 24 * 3600_000;
/**
 * How often (lab time) the master tries the backups still queued, besides right after a task that
 * took one: a failed send waits `backup.retry_s` (minutes) before its next try anyway.
 */
const BACKUP_POLL_MS = 60_000;

async function runOfFile(ws: Workspace, runFile: string) {
  const abs = path.resolve(runFile);
  const run =
    (await ws.db.selectFrom('runs').selectAll().where('station', '=', ws.station.name).where('run_file', '=', abs).executeTakeFirst()) ??
    (await (async () => {
      const m = /run_0*(\d+)\.json$/.exec(abs);
      return m
        ? ws.db
            .selectFrom('runs')
            .selectAll()
            .where('station', '=', ws.station.name)
            .where('run_number', '=', Number(m[1]))
            .executeTakeFirst()
        : undefined;
    })());
  if (!run)
    throw new MasterError(
      `the schedule's run_file ${abs} is not a run of station ${ws.station.name}: create the run with \`fat run new\` and the schedule with \`fat schedule create\``,
    );
  return run;
}

/** What the phases of one `fat master` share. */
interface Session {
  ws: Workspace;
  opts: MasterOptions;
  cat: Catalogue;
  schedule: Schedule;
  run: Awaited<ReturnType<typeof runOfFile>>;
  runRef: RunScope['run'];
  from: number | undefined;
  emit: Emit;
  /** stops the run: Ctrl+C or a service stop (opts.signal), or an operator's abort request */
  stop: AbortController;
  forward: () => void;
  lease: Awaited<ReturnType<typeof acquireLease>>;
  notifier: Awaited<ReturnType<MasterOptions['notifier']>>;
  /** the journal of the run: its active schedule */
  sched: Awaited<ReturnType<typeof activeSchedule>>;
  recovering: boolean;
  /** the task loop has begun: from here on a refusal is a stop, with the safe state restored */
  started: boolean;
  control?: OperatorControl;
  /** the run and D-Egg files, written from the store at most once a second while tasks run */
  exports: CoalescedExports;
  /** the backup snapshots, finished and sent while the next tasks run */
  backups: BackupLane;
}

export async function runMaster(ws: Workspace, opts: MasterOptions): Promise<MasterOutcome> {
  const m = await openSession(ws, opts);
  try {
    if (opts.test) return await testSchedule(ws, { schedule: m.schedule, run: m.runRef, configPath: opts.configPath, emit: m.emit });
    await dropStaleAborts({ ws, run: m.runRef });
    const nothingToDo = await openSchedule(m);
    if (nothingToDo) return nothingToDo;
    const scope = await checkConnectivity(m);
    await announceStart(m, scope);
    await runTasks(m, scope);
    return await finishRun(m, scope);
  } catch (e) {
    // a refusal before the first task touched nothing: no stop to record, no safe state to restore
    if (!m.started && e instanceof MasterError) throw e;
    return await stopRun(m, e);
  } finally {
    await closeSession(m);
  }
}

/** Reads the schedule and finds its run (refusals here touch nothing), then takes the station and opens the event fan-out. */
async function openSession(ws: Workspace, opts: MasterOptions): Promise<Session> {
  const cat = catalogue();
  const schedule: Schedule = parseSchedule(opts.configPath, cat);
  const run = await runOfFile(ws, opts.dryRun?.runFile ?? schedule.constants.runFile);
  const from = opts.from ?? schedule.constants.startAt;
  if (from !== undefined && (from < 0 || from >= schedule.tasks.length)) {
    throw new MasterError(`--from ${from}: the schedule has tasks 0..${schedule.tasks.length - 1}`);
  }

  const lease = await acquireLease(ws);
  const notifier = await opts.notifier(run.id, run.run_number).catch(async (e: unknown) => {
    await lease.release();
    throw e;
  });
  const emit: Emit = (e) => notifier.emit({ ...e, timeMs: ws.clock.now(), runId: run.id });
  for (const w of groupWarnings(schedule.warnings))
    emit({ level: 'warn', kind: 'schedule.warning', message: `${path.basename(opts.configPath)}: ${w}`, audience: 'log' });
  const runRef = { id: run.id, number: run.run_number, runFile: run.run_file };
  const stop = new AbortController();
  const forward = () => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) forward();
  else opts.signal.addEventListener('abort', forward, { once: true });
  const sched = await activeSchedule(ws, run.id);
  // documents a crash changed in the store but did not get to export: the files catch up first
  const exported = await exportPending(ws);
  if (exported)
    emit({
      level: 'info',
      kind: 'docs.exported',
      message: `${exported} JSON file(s) rewritten from the store after an interrupted export`,
      audience: 'log',
    });
  const swept = await sweepStaging(ws);
  if (swept.removed || swept.queued)
    emit({
      level: 'info',
      kind: 'backup.swept',
      message: `backup staging after an interrupted master: ${swept.removed} incomplete snapshot(s) removed, ${swept.queued} complete one(s) queued`,
      audience: 'log',
    });
  const backups = new BackupLane(ws, (message) => emit({ level: 'warn', kind: 'backup.failed', message, audience: 'people' }));
  const exports = new CoalescedExports(ws, (e) =>
    emit({
      level: 'warn',
      kind: 'docs.export-failed',
      message: `JSON file(s) not yet written from the store (written later by this master, or by the next): ${(e as Error).message}`,
      audience: 'log',
    }),
  );
  return {
    ws,
    opts,
    cat,
    schedule,
    run,
    runRef,
    from,
    emit,
    stop,
    forward,
    lease,
    notifier,
    sched,
    recovering: false,
    started: false,
    exports,
    backups,
  };
}

async function closeSession(m: Session): Promise<void> {
  m.control?.close();
  m.opts.signal.removeEventListener('abort', m.forward);
  // a service stop must end within seconds; a finished run may wait a little for Slack
  await m.notifier.close({ flushMs: m.stop.signal.aborted ? 2000 : 10_000 });
  await m.lease.release();
}

/**
 * Which schedule runs: a fresh one, or the journal of an interrupted one. Returns an outcome when
 * there is nothing to do (a completed run asked to recover).
 */
async function openSchedule(m: Session): Promise<MasterOutcome | undefined> {
  const { ws, opts, run, from, sched } = m;
  const existing = sched ? await scheduleTasks(ws, sched.id) : [];
  const progressed = existing.filter((t) => t.state !== 'pending');
  if (sched && progressed.length && !opts.recover && from === undefined) {
    throw new MasterError(
      `run ${run.run_number} already has progress (${sched.master_key}: ${existing.filter((t) => t.state === 'done').length} of ${existing.length} tasks done). ` +
        `Continue it with \`fat master ${opts.configPath} --recover\`, or restart from a task with --from N.`,
    );
  }
  if (opts.recover && !sched) {
    const last = await latestSchedule(ws, run.id);
    if (last?.state === 'completed') {
      // the service passes --recover on every start: a finished run is nothing to do, not an error
      return {
        runNumber: run.run_number,
        state: 'completed',
        message: `No need to run in recovery mode: run ${run.run_number}'s schedule (${last.master_key}) completed at ${last.ended_at}`,
      };
    }
    m.emit({
      level: 'info',
      kind: 'run.recover',
      message: `run ${run.run_number} has no schedule yet: starting it from the beginning`,
      audience: 'log',
    });
  }
  if (opts.recover && sched) await resumeSchedule(m, sched);
  else await freshSchedule(m);
  await closeStalePrompts(ws, run.id, ws.clock.now());
  // an older home's run file is taken into the store: each task's state in it is staged unread
  await readDoc(ws, run.run_file);
  return undefined;
}

/** --recover: the journal goes on where it stopped (or at --from N); interrupted and failed tasks run again. */
async function resumeSchedule(m: Session, sched: NonNullable<Session['sched']>): Promise<void> {
  const { ws, opts, run, from, schedule } = m;
  if (sched.config_hash !== schedule.hash && !opts.force) {
    throw new MasterError(
      `${opts.configPath} changed since run ${run.run_number} started (${sched.archived_path} is what ran): recover with --force to go on with the journal as it was, or restart with --from N`,
    );
  }
  m.recovering = true;
  const interrupted = await supersedeInterrupted(ws, sched.id);
  if (from !== undefined) {
    // earlier tasks left unfinished are not run: the run restarts at task N
    await resetFrom(ws, sched.id, from);
    await markSkippedBefore(ws, sched.id, from);
  } else {
    await reopenFailed(ws, sched.id);
  }
  m.emit({
    level: 'warn',
    kind: 'run.recover',
    message: `Attempting to recover run ${run.run_number} (${sched.master_key})${interrupted ? `: ${interrupted} interrupted task(s) will run again` : ''}${from !== undefined ? `, from task ${from}` : ''}`,
    audience: 'channel',
  });
}

/** A fresh schedule: the journal in the store, the archived schedule file and MasterFAT_NN in the run file. */
async function freshSchedule(m: Session): Promise<void> {
  const { ws, opts, run, from, schedule, cat } = m;
  const masterKey = await nextMasterKey(ws, run.run_file);
  const archived = archiveConfig(opts.configPath, path.join(ws.home.jsonDir, runName(run.run_number)));
  const nModules = (await ws.db.selectFrom('modules').select('id').where('run_id', '=', run.id).where('state', '=', 'active').execute())
    .length;
  const scheduleId = await createSchedule(ws, {
    runId: run.id,
    masterKey,
    configPath: path.resolve(opts.configPath),
    configHash: schedule.hash,
    archivedPath: archived,
    tasks: schedule.tasks.map((t) => {
      const k = findKind(cat, t.kind)!;
      return { ...t, estimateS: k.estimateS(t.params, nModules), person: k.needsPerson?.(t.params, ws) };
    }),
  });
  if (from !== undefined) await markSkippedBefore(ws, scheduleId, from);
  await writeMasterEntry(
    ws,
    run.run_file,
    masterKey,
    schedule.tasks.map((t) => ({ index: t.index, section: t.section, state: from !== undefined && t.index < from ? 1 : -1 })),
    archived,
    new Date(ws.clock.now()).toISOString().slice(0, 10),
  );
  m.sched = await activeSchedule(ws, run.id);
}

/** Connectivity test: every module of the run answers; returns what the tasks run in. */
async function checkConnectivity(m: Session): Promise<RunScope> {
  const { ws, opts, run, emit } = m;
  const modules: ActiveModule[] = await activeRunModules(ws, run.id);
  const scope: RunScope = {
    ws,
    run: m.runRef,
    masterKey: m.sched!.master_key,
    modules,
    emit,
    interactive: opts.interactive,
    autoAnswer: opts.dryRun?.answeredBy,
    signal: m.stop.signal,
    recovering: m.recovering,
    watchdogFactor: ws.station.master.watchdog_factor,
    exports: m.exports,
  };
  const checks = await Promise.all(
    modules.map((x) => verifyModule(ws.station.daq_host, x.port, ws.station.expected.fpga_version, ws.clock)),
  );
  checks.forEach((c, i) => reportFlashes(emit, modules[i], c));
  const dead = checks.filter((c) => !c.ok);
  if (dead.length) {
    const lines = dead.map((c) => `  port ${c.port} (${modules.find((x) => x.port === c.port)?.serial}): ${c.message}`);
    // after a crash nobody may be there to decide: a module that died gets a power cycle and is
    // excluded if it stays silent, so a restart by the service never waits for a person
    if (m.recovering)
      await reviveOrExclude(
        scope,
        dead.map((c) => c.port),
      );
    else if (!opts.force)
      throw new MasterError(
        `Connectivity test: ${dead.length} D-Egg(s) of run ${run.run_number} do not answer:\n${lines.join('\n')}\nCheck them (fat setup), or start with --force to exclude them and run with the others.`,
      );
    else for (const c of dead) await excludeModule(scope, c.port, `did not answer the connectivity test: ${c.message}`);
  }
  return scope;
}

/** The start message: time, run, D-Eggs, condensed schedule, forecast. */
async function announceStart(m: Session, scope: RunScope): Promise<void> {
  const { ws } = m;
  const { tasks: all, forecast: fc } = await forecastOf(ws, m.sched!.id);
  m.emit({
    level: 'info',
    kind: 'run.start',
    message: `Executing FAT Master Script - Time is now: ${formatTime(ws.clock.now())}; run ${m.run.run_number}, ${scope.modules.length} D-Eggs, ${fc.total - fc.done} tasks to go, about ${formatDuration(fc.remainingS)} (until ${formatTime(fc.etaMs)}; ${fc.basis})`,
    detail: [
      ' -- D-Egg IDs:',
      ...scope.modules.map((x) => `${x.port}: ${x.serial}`),
      ...condensedSchedule(m.cat, all),
      fc.nextPerson
        ? `Next time a person is needed: ${formatTime(fc.nextPerson.atMs)} for [${fc.nextPerson.idx}] ${fc.nextPerson.what}`
        : 'No person needed until the end.',
    ].join('\n'),
    audience: 'channel',
  });
}

/** What the task loop carries from one task to the next. */
interface Pace {
  lastDigest: number;
  expectedFreezerC: number | undefined;
  previousKind: string | undefined;
  /** the last time the lab conditions were found in band (a check stands for CHECK_STANDS_MS) */
  conditions: ConditionsCheck | undefined;
  /** when the master last tried the backup queue (lab time) */
  backupsAt: number | undefined;
}

/** The loop: the next pending task of the journal until none is left. */
async function runTasks(m: Session, scope: RunScope): Promise<void> {
  const { ws, stop } = m;
  const s = m.sched!;
  const control = (m.control = operatorControl(scope, stop, m.opts.configPath));
  m.started = true;
  await ws.db.updateTable('schedules').set({ ended_at: null, end_reason: null }).where('id', '=', s.id).execute();
  const pace: Pace = {
    lastDigest: ws.clock.now(),
    expectedFreezerC: undefined,
    previousKind: undefined,
    conditions: undefined,
    backupsAt: undefined,
  };
  for (;;) {
    // a turn of the event loop at every boundary: short tasks that touch no instrument (zero-length
    // waits) would otherwise keep timers (lease heartbeat, abort watch, exports, event writes) and
    // Ctrl+C waiting until a task does some I/O
    await new Promise<void>((resolve) => setImmediate(resolve));
    stop.signal.throwIfAborted();
    // one row per boundary, not the whole journal: the schedule of a FAT has a thousand tasks
    const next = await nextPendingTask(ws, s.id);
    if (!next) break;
    // what operators asked for (exclude, include, pause, abort) takes effect here
    await control.atBoundary();
    const kind = findKind(m.cat, next.kind);
    if (!kind) throw new MasterError(`task kind ${next.kind} of [${next.idx}] is no longer known to icefat`);
    // the set point to hold changes only when a set_freezer task is done
    if (pace.previousKind === undefined || pace.previousKind === 'set_freezer')
      pace.expectedFreezerC = freezerTarget(await lastDoneBefore(ws, s.id, 'set_freezer', next.idx)) ?? pace.expectedFreezerC;
    await beforeTask(m, scope, pace, next, kind);
    await runTaskThroughModuleFaults(scope, next, kind);
    scope.recovering = false;
    pace.previousKind = kind.name;
    if (kind.actsOnLab || kind.asksPerson) pace.conditions = undefined;
    await afterTask(m, pace, next);
  }
}

/** Holds for the lab conditions and disk space, the daily digest, and a status check before a measurement. */
async function beforeTask(m: Session, scope: RunScope, pace: Pace, next: Selectable<TaskTable>, kind: TaskKind): Promise<void> {
  const { ws, emit } = m;
  const signal = m.stop.signal;
  // tasks that act on the lab (the freezer) or ask a person are never held back by the conditions
  if (!kind.actsOnLab && !kind.asksPerson && conditionsDue(pace.conditions, ws.clock.now(), pace.expectedFreezerC)) {
    await holdForConditions(ws, pace.expectedFreezerC, emit, signal, (paused) => (paused ? m.exports.settle() : undefined));
    pace.conditions = { atMs: ws.clock.now(), expectedFreezerC: pace.expectedFreezerC };
  }
  if (!kind.housekeeping) await holdForDiskSpace(ws, emit, signal);
  if (ws.clock.now() - pace.lastDigest >= DIGEST_MS) {
    pace.lastDigest = ws.clock.now();
    const { forecast: f } = await forecastOf(ws, m.sched!.id);
    emit({
      level: 'info',
      kind: 'run.digest',
      message:
        `Daily digest, run ${m.run.run_number}: ${f.done}/${f.total} tasks done, about ${formatDuration(f.remainingS)} to go` +
        (f.nextPerson ? `; a person is next needed around ${formatTime(f.nextPerson.atMs)} for ${f.nextPerson.what}` : ''),
      audience: 'channel',
    });
  }
  // a status check before a measurement, unless the schedule just ran one
  if (ws.station.master.status_check_between && !kind.housekeeping && pace.previousKind !== 'status_check') {
    await checkModules(
      contextFor(scope, next, next.attempts, () => undefined),
      false,
    );
    if (!scope.modules.length) throw new MasterError('no D-Egg is left in the run: every module was excluded');
  }
}

/** The task's backup snapshot, when the schedule asks for one, and the backup queue, in the backup lane. */
async function afterTask(m: Session, pace: Pace, done: Selectable<TaskTable>): Promise<void> {
  const { ws, run } = m;
  if (done.run_backup) {
    // the snapshot copies the files: they must hold what the store holds
    await m.exports.flush();
    await m.backups.snapshot({ id: run.id, number: run.run_number }, done.id, `${done.idx}_${done.section}`);
  } else if (pace.backupsAt !== undefined && ws.clock.now() - pace.backupsAt < BACKUP_POLL_MS) return;
  else m.backups.poll();
  pace.backupsAt = ws.clock.now();
}

/** The end: the journal closed, the lab in its safe state, the summary. */
async function finishRun(m: Session, scope: RunScope): Promise<MasterOutcome> {
  const { ws, run } = m;
  const s = m.sched!;
  await m.exports.flush();
  await m.backups.drained();
  const final = await scheduleTasks(ws, s.id);
  const unfinished = final.filter((t) => t.state !== 'done' && t.state !== 'skipped');
  await endSchedule(ws, s.id, 'completed', 'all tasks ran', ws.clock.now());
  await dropPending({ ws, run: m.runRef }, 'the run completed before the master saw it');
  await setMasterFields(ws, run.run_file, s.master_key, {
    end_time: new Date(ws.clock.now()).toISOString().replace('T', ' ').replace('Z', ''),
  });
  const safe = await bringToSafeState(
    ws,
    scope.modules.map((x) => x.port),
  );
  const excluded = await ws.db
    .selectFrom('modules')
    .select(['port', 'degg_serial', 'state_reason'])
    .where('run_id', '=', run.id)
    .where('state', '=', 'excluded')
    .execute();
  m.emit({
    level: unfinished.length || excluded.length ? 'warn' : 'info',
    kind: 'run.complete',
    message:
      `Schedule Completed: run ${run.run_number}, ${final.length - unfinished.length}/${final.length} tasks done` +
      (excluded.length ? `, ${excluded.length} D-Egg(s) excluded` : '') +
      (unfinished.length ? '' : ' - All tasks in schedule completed successfully'),
    detail: [
      ...unfinished.map((t) => `Completed, but [${t.idx}] ${t.section} = ${t.state}`),
      ...excluded.map((x) => `Excluded: ${x.degg_serial} (port ${x.port}): ${x.state_reason}`),
      `Safe state: ${safeStateText(safe, 'problems')}`,
    ].join('\n'),
    audience: 'channel',
  });
  return { runNumber: run.run_number, state: 'completed', message: 'All actions completed - master script terminating' };
}

/** The target of the last set_freezer done before the next task, if it waits for its temperature (the band to hold). */
function freezerTarget(last: { params: string } | undefined): number | undefined {
  if (!last) return undefined;
  const p = JSON.parse(last.params) as { fcurrent: number; fdelta: number; wait_reached?: boolean };
  return p.wait_reached === false ? undefined : Number(p.fcurrent) + Number(p.fdelta);
}

type SafeState = Awaited<ReturnType<typeof bringToSafeState>>;

const safeStateText = (safe: SafeState, problems: string) =>
  `laser ${safe.laserOff === false ? 'NOT confirmed off' : 'off'}, HV ${safe.hv}${safe.problems.length ? `; ${problems}: ${safe.problems.join('; ')}` : ''}`;

/** After a stop, a refusal once running or a failure: why, told to people; the journal closed, the lab in its safe state. */
async function stopRun(m: Session, e: unknown): Promise<MasterOutcome> {
  const { ws, run, emit } = m;
  const aborted = m.stop.signal.reason instanceof OperatorAbort ? m.stop.signal.reason : undefined;
  const { state, reason } = await announceStop(m, e, aborted);
  // what the store holds is in the files before the master leaves (what fails, the next master writes)
  await m.exports.settle();
  await m.backups.settled();
  if (m.sched?.id !== undefined) await endSchedule(ws, m.sched.id, 'stopped', reason, ws.clock.now()).catch(() => undefined);
  // the schedule stays recoverable: its journal is intact, only the run file records why it stopped
  if (state === 'stopped' || state === 'interrupted' || state === 'aborted')
    await setMasterFields(ws, run.run_file, m.sched?.master_key, {}, { RunTerminated: reason });
  const mods = await ws.db.selectFrom('modules').select('port').where('run_id', '=', run.id).where('state', '=', 'active').execute();
  const safe = await bringToSafeState(
    ws,
    mods.map((x) => x.port),
  );
  const how = safeStateText(safe, 'could not');
  emit({
    level: safe.problems.length ? 'warn' : 'info',
    kind: 'run.safe-state',
    message: `Lab left in its safe state: ${how}`,
    audience: safe.problems.length ? 'people' : 'log',
  });
  if (aborted) await markHandled(ws, aborted.request.id, `aborted; safe state: ${how}`);
  return { runNumber: run.run_number, state, message: reason };
}

/** Which kind of stop this is, and its message to people. */
async function announceStop(
  m: Session,
  e: unknown,
  aborted: OperatorAbort | undefined,
): Promise<{ state: MasterOutcome['state']; reason: string }> {
  const { opts, run, emit } = m;
  const signal = m.stop.signal;
  if (aborted) {
    emit({
      level: 'warn',
      kind: 'run.aborted',
      message: `@channel - Run ${run.run_number} ${aborted.message} (${aborted.request.via}). Bringing the lab to its safe state; continue later with \`fat master ${opts.configPath} --recover\`.`,
      audience: 'people',
      data: { requestId: aborted.request.id, by: aborted.request.requested_by, reason: aborted.request.reason },
    });
    return { state: 'aborted', reason: aborted.message };
  }
  if (e instanceof RunStoppedByOperator) {
    emit({
      level: 'warn',
      kind: 'run.stopped',
      message: `@channel - DAQ stopped by manual input. Reason given: ${e.reason}`,
      audience: 'people',
    });
    return { state: 'stopped', reason: e.reason };
  }
  if (e instanceof Interrupted || signal.aborted) {
    emit({ level: 'warn', kind: 'run.interrupted', message: 'DAQ Stopped by Manual Interrupt', audience: 'log' });
    const reason =
      (await opts.askReason?.().catch(() => undefined)) || String((signal.reason as Error | undefined)?.message ?? 'interrupted');
    emit({
      level: 'warn',
      kind: 'run.stopped',
      message: `@channel - DAQ stopped by manual input. Reason given: ${reason}. Continue with \`fat master ${opts.configPath} --recover\`.`,
      audience: 'people',
    });
    return { state: 'interrupted', reason };
  }
  if (e instanceof MasterError) {
    emit({ level: 'error', kind: 'run.failed', message: `@channel - Master Script Stopped: ${e.message}`, audience: 'people' });
    return { state: 'failed', reason: e.message };
  }
  const err = e as Error;
  emit({
    level: 'error',
    kind: 'run.failed',
    message: `@channel - DAQ stopped automatically: ${err.message}. Fix the cause, then continue with \`fat master ${opts.configPath} --recover\`.`,
    detail: e instanceof TaskFailed ? e.trace : err.stack,
    audience: 'people',
  });
  return { state: 'failed', reason: err.message };
}

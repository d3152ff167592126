import path from 'node:path';
import type { Workspace } from '../fat/home.js';
import { verifyModule } from '../fat/module-link.js';
import { catalogue, findKind } from '../tasks/catalogue.js';
import { groupWarnings, parseSchedule, type Schedule } from '../fat/schedule/parse.js';
import { runName } from '../fat/run-files.js';
import { RunStoppedByOperator } from '../tasks/manual-input.js';
import { checkModules, reportFlashes } from '../tasks/status-check.js';
import type { ActiveModule } from '../tasks/types.js';
import type { FatEvent } from '../notify/types.js';
import { processBackups, queueBackup, takeSnapshot } from './backup.js';
import { holdForConditions } from './conditions.js';
import { forecastOf, formatDuration, formatTime } from './forecast.js';
import { condensedSchedule } from './listing.js';
import { testSchedule } from './master-test.js';
import {
  activeSchedule,
  closeStalePrompts,
  createSchedule,
  endSchedule,
  latestSchedule,
  markSkippedBefore,
  reopenFailed,
  resetFrom,
  scheduleTasks,
  supersedeInterrupted,
} from './journal.js';
import { acquireLease } from './lease.js';
import { archiveConfig, nextMasterKey, setMasterFields, writeMasterEntry } from './master-json.js';
import { dropPending, dropStaleAborts, OperatorAbort, operatorControl, type OperatorControl } from './operator-hold.js';
import { markHandled } from './operator-queue.js';
import { bringToSafeState } from './safe-state.js';
import { holdForDiskSpace } from './disk-hold.js';
import { reviveOrExclude, runTaskThroughModuleFaults } from './module-faults.js';
import { contextFor, excludeModule, Interrupted, TaskFailed, type RunScope } from './task-runner.js';

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

export async function runMaster(ws: Workspace, opts: MasterOptions): Promise<MasterOutcome> {
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
  const emit = (e: Omit<FatEvent, 'timeMs' | 'runId'>) => notifier.emit({ ...e, timeMs: ws.clock.now(), runId: run.id });
  for (const w of groupWarnings(schedule.warnings))
    emit({ level: 'warn', kind: 'schedule.warning', message: `${path.basename(opts.configPath)}: ${w}`, audience: 'log' });
  const runRef = { id: run.id, number: run.run_number, runFile: run.run_file };
  // stops the run: Ctrl+C or a service stop (opts.signal), or an operator's abort request
  const stop = new AbortController();
  const forward = () => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) forward();
  else opts.signal.addEventListener('abort', forward, { once: true });
  let control: OperatorControl | undefined;
  let sched = await activeSchedule(ws, run.id);
  let recovering = false;
  let started = false;
  try {
    if (opts.test) return await testSchedule(ws, { schedule, run: runRef, configPath: opts.configPath, emit });
    await dropStaleAborts({ ws, run: runRef });
    // ---- which schedule runs: a fresh one, or the journal of an interrupted one ----
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
      emit({
        level: 'info',
        kind: 'run.recover',
        message: `run ${run.run_number} has no schedule yet: starting it from the beginning`,
        audience: 'log',
      });
    }
    if (opts.recover && sched) {
      if (sched.config_hash !== schedule.hash && !opts.force) {
        throw new MasterError(
          `${opts.configPath} changed since run ${run.run_number} started (${sched.archived_path} is what ran): recover with --force to go on with the journal as it was, or restart with --from N`,
        );
      }
      recovering = true;
      const interrupted = await supersedeInterrupted(ws, sched.id);
      if (from !== undefined) {
        // earlier tasks left unfinished are not run: the run restarts at task N
        await resetFrom(ws, sched.id, from);
        await markSkippedBefore(ws, sched.id, from);
      } else {
        await reopenFailed(ws, sched.id);
      }
      emit({
        level: 'warn',
        kind: 'run.recover',
        message: `Attempting to recover run ${run.run_number} (${sched.master_key})${interrupted ? `: ${interrupted} interrupted task(s) will run again` : ''}${from !== undefined ? `, from task ${from}` : ''}`,
        audience: 'channel',
      });
    } else {
      const masterKey = nextMasterKey(run.run_file);
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
      writeMasterEntry(
        run.run_file,
        masterKey,
        schedule.tasks.map((t) => ({ index: t.index, section: t.section, state: from !== undefined && t.index < from ? 1 : -1 })),
        archived,
        new Date(ws.clock.now()).toISOString().slice(0, 10),
      );
      sched = await activeSchedule(ws, run.id);
    }
    const s = sched!;
    await closeStalePrompts(ws, run.id, ws.clock.now());

    // ---- connectivity test: every module of the run answers ----
    const rows = await ws.db
      .selectFrom('modules')
      .selectAll()
      .where('run_id', '=', run.id)
      .where('state', '=', 'active')
      .orderBy('port')
      .execute();
    const modules: ActiveModule[] = rows.map((m) => ({
      port: m.port,
      serial: m.degg_serial,
      wirePair: m.wire_pair,
      jsonFile: m.json_file,
    }));
    const scope: RunScope = {
      ws,
      run: runRef,
      masterKey: s.master_key,
      modules,
      emit,
      interactive: opts.interactive,
      autoAnswer: opts.dryRun?.answeredBy,
      signal: stop.signal,
      recovering,
      watchdogFactor: ws.station.master.watchdog_factor,
    };
    const checks = await Promise.all(modules.map((m) => verifyModule(ws.station.daq_host, m.port, ws.station.expected.fpga_version)));
    checks.forEach((c, i) => reportFlashes(emit, modules[i], c));
    const dead = checks.filter((c) => !c.ok);
    if (dead.length) {
      const lines = dead.map((c) => `  port ${c.port} (${modules.find((m) => m.port === c.port)?.serial}): ${c.message}`);
      // after a crash nobody may be there to decide: a module that died gets a power cycle and is
      // excluded if it stays silent, so a restart by the service never waits for a person
      if (recovering)
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

    // ---- start message: time, run, D-Eggs, condensed schedule, forecast ----
    const { tasks: all, forecast: fc } = await forecastOf(ws, s.id);
    emit({
      level: 'info',
      kind: 'run.start',
      message: `Executing FAT Master Script - Time is now: ${formatTime(ws.clock.now())}; run ${run.run_number}, ${modules.length} D-Eggs, ${fc.total - fc.done} tasks to go, about ${formatDuration(fc.remainingS)} (until ${formatTime(fc.etaMs)})`,
      detail: [
        ' -- D-Egg IDs:',
        ...modules.map((m) => `${m.port}: ${m.serial}`),
        ...condensedSchedule(cat, all),
        fc.nextPerson
          ? `Next time a person is needed: ${formatTime(fc.nextPerson.atMs)} for [${fc.nextPerson.idx}] ${fc.nextPerson.what}`
          : 'No person needed until the end.',
      ].join('\n'),
      audience: 'channel',
    });

    // ---- the loop ----
    control = operatorControl(scope, stop, opts.configPath);
    started = true;
    await ws.db.updateTable('schedules').set({ ended_at: null, end_reason: null }).where('id', '=', s.id).execute();
    let lastDigest = ws.clock.now();
    let expectedFreezerC: number | undefined;
    let previousKind: string | undefined;
    for (;;) {
      stop.signal.throwIfAborted();
      const tasks = await scheduleTasks(ws, s.id);
      const next = tasks.find((t) => t.state === 'pending');
      if (!next) break;
      // what operators asked for (exclude, include, pause, abort) takes effect here
      await control.atBoundary();
      const kind = findKind(cat, next.kind);
      if (!kind) throw new MasterError(`task kind ${next.kind} of [${next.idx}] is no longer known to icefat`);
      expectedFreezerC = freezerTarget(tasks, next.idx) ?? expectedFreezerC;

      // tasks that act on the lab (the freezer) or ask a person are never held back by the conditions
      if (!kind.actsOnLab && !kind.asksPerson) await holdForConditions(ws, expectedFreezerC, emit, stop.signal);
      if (!kind.housekeeping) await holdForDiskSpace(ws, emit, stop.signal);
      if (ws.clock.now() - lastDigest >= DIGEST_MS) {
        lastDigest = ws.clock.now();
        const { forecast: f } = await forecastOf(ws, s.id);
        emit({
          level: 'info',
          kind: 'run.digest',
          message:
            `Daily digest, run ${run.run_number}: ${f.done}/${f.total} tasks done, about ${formatDuration(f.remainingS)} to go` +
            (f.nextPerson ? `; a person is next needed around ${formatTime(f.nextPerson.atMs)} for ${f.nextPerson.what}` : ''),
          audience: 'channel',
        });
      }
      // a status check before a measurement, unless the schedule just ran one
      if (ws.station.master.status_check_between && !kind.housekeeping && previousKind !== 'status_check') {
        await checkModules(
          contextFor(scope, next, next.attempts, () => undefined),
          false,
        );
        if (!modules.length) throw new MasterError('no D-Egg is left in the run: every module was excluded');
      }

      await runTaskThroughModuleFaults(scope, next, kind);
      scope.recovering = false;
      previousKind = kind.name;
      if (next.run_backup) {
        const snap = await takeSnapshot(ws, { id: run.id, number: run.run_number }, `${next.idx}_${next.section}`);
        await queueBackup(ws, run.id, next.id, snap);
      }
      const b = await processBackups(ws);
      if (b.failed)
        emit({
          level: 'warn',
          kind: 'backup.failed',
          message: `${b.failed} backup(s) could not reach ${ws.station.backup.destination}; queued and retried (${b.pending} pending)`,
          audience: 'people',
        });
    }

    // ---- the end ----
    const final = await scheduleTasks(ws, s.id);
    const unfinished = final.filter((t) => t.state !== 'done' && t.state !== 'skipped');
    await endSchedule(ws, s.id, 'completed', 'all tasks ran', ws.clock.now());
    await dropPending({ ws, run: runRef }, 'the run completed before the master saw it');
    setMasterFields(run.run_file, s.master_key, { end_time: new Date(ws.clock.now()).toISOString().replace('T', ' ').replace('Z', '') });
    const safe = await bringToSafeState(
      ws,
      modules.map((m) => m.port),
    );
    const excluded = await ws.db
      .selectFrom('modules')
      .select(['port', 'degg_serial', 'state_reason'])
      .where('run_id', '=', run.id)
      .where('state', '=', 'excluded')
      .execute();
    emit({
      level: unfinished.length || excluded.length ? 'warn' : 'info',
      kind: 'run.complete',
      message:
        `Schedule Completed: run ${run.run_number}, ${final.length - unfinished.length}/${final.length} tasks done` +
        (excluded.length ? `, ${excluded.length} D-Egg(s) excluded` : '') +
        (unfinished.length ? '' : ' - All tasks in schedule completed successfully'),
      detail: [
        ...unfinished.map((t) => `Completed, but [${t.idx}] ${t.section} = ${t.state}`),
        ...excluded.map((m) => `Excluded: ${m.degg_serial} (port ${m.port}): ${m.state_reason}`),
        `Safe state: laser ${safe.laserOff === false ? 'NOT confirmed off' : 'off'}, HV ${safe.hv}${safe.problems.length ? `; problems: ${safe.problems.join('; ')}` : ''}`,
      ].join('\n'),
      audience: 'channel',
    });
    return { runNumber: run.run_number, state: 'completed', message: 'All actions completed - master script terminating' };
  } catch (e) {
    // a refusal before the first task touched nothing: no stop to record, no safe state to restore
    if (!started && e instanceof MasterError) throw e;
    return await stopRun(ws, { ...opts, signal: stop.signal }, run, sched?.id, sched?.master_key, e, emit);
  } finally {
    control?.close();
    opts.signal.removeEventListener('abort', forward);
    // a service stop must end within seconds; a finished run may wait a little for Slack
    await notifier.close({ flushMs: stop.signal.aborted ? 2000 : 10_000 });
    await lease.release();
  }
}

/** The target of the last set_freezer before `idx` that waits for its temperature (the band to hold). */
function freezerTarget(tasks: Array<{ idx: number; kind: string; params: string; state: string }>, idx: number): number | undefined {
  const prev = tasks.filter((t) => t.idx < idx && t.kind === 'set_freezer' && t.state === 'done');
  const last = prev[prev.length - 1];
  if (!last) return undefined;
  const p = JSON.parse(last.params) as { fcurrent: number; fdelta: number; wait_reached?: boolean };
  return p.wait_reached === false ? undefined : Number(p.fcurrent) + Number(p.fdelta);
}

async function stopRun(
  ws: Workspace,
  opts: MasterOptions,
  run: { id: number; run_number: number; run_file: string },
  scheduleId: number | undefined,
  masterKey: string | undefined,
  e: unknown,
  emit: (e: Omit<FatEvent, 'timeMs' | 'runId'>) => void,
): Promise<MasterOutcome> {
  const aborted = opts.signal.reason instanceof OperatorAbort ? opts.signal.reason : undefined;
  const interrupted = e instanceof Interrupted || opts.signal.aborted;
  let state: MasterOutcome['state'];
  let reason: string;
  if (aborted) {
    state = 'aborted';
    reason = aborted.message;
    emit({
      level: 'warn',
      kind: 'run.aborted',
      message: `@channel - Run ${run.run_number} ${reason} (${aborted.request.via}). Bringing the lab to its safe state; continue later with \`fat master ${opts.configPath} --recover\`.`,
      audience: 'people',
      data: { requestId: aborted.request.id, by: aborted.request.requested_by, reason: aborted.request.reason },
    });
  } else if (e instanceof RunStoppedByOperator) {
    state = 'stopped';
    reason = e.reason;
    emit({
      level: 'warn',
      kind: 'run.stopped',
      message: `@channel - DAQ stopped by manual input. Reason given: ${reason}`,
      audience: 'people',
    });
  } else if (interrupted) {
    state = 'interrupted';
    emit({ level: 'warn', kind: 'run.interrupted', message: 'DAQ Stopped by Manual Interrupt', audience: 'log' });
    reason =
      (await opts.askReason?.().catch(() => undefined)) || String((opts.signal.reason as Error | undefined)?.message ?? 'interrupted');
    emit({
      level: 'warn',
      kind: 'run.stopped',
      message: `@channel - DAQ stopped by manual input. Reason given: ${reason}. Continue with \`fat master ${opts.configPath} --recover\`.`,
      audience: 'people',
    });
  } else if (e instanceof MasterError) {
    state = 'failed';
    reason = e.message;
    emit({ level: 'error', kind: 'run.failed', message: `@channel - Master Script Stopped: ${e.message}`, audience: 'people' });
  } else {
    state = 'failed';
    const err = e as Error;
    reason = err.message;
    emit({
      level: 'error',
      kind: 'run.failed',
      message: `@channel - DAQ stopped automatically: ${err.message}. Fix the cause, then continue with \`fat master ${opts.configPath} --recover\`.`,
      detail: e instanceof TaskFailed ? e.trace : err.stack,
      audience: 'people',
    });
  }
  if (scheduleId !== undefined) await endSchedule(ws, scheduleId, 'stopped', reason, ws.clock.now()).catch(() => undefined);
  // the schedule stays recoverable: its journal is intact, only the run file records why it stopped
  if (state === 'stopped' || state === 'interrupted' || state === 'aborted')
    setMasterFields(run.run_file, masterKey, {}, { RunTerminated: reason });
  const mods = await ws.db.selectFrom('modules').select('port').where('run_id', '=', run.id).where('state', '=', 'active').execute();
  const safe = await bringToSafeState(
    ws,
    mods.map((m) => m.port),
  );
  emit({
    level: safe.problems.length ? 'warn' : 'info',
    kind: 'run.safe-state',
    message:
      `Lab left in its safe state: laser ${safe.laserOff === false ? 'NOT confirmed off' : 'off'}, HV ${safe.hv}` +
      (safe.problems.length ? `; could not: ${safe.problems.join('; ')}` : ''),
    audience: safe.problems.length ? 'people' : 'log',
  });
  if (aborted) {
    const how = `laser ${safe.laserOff === false ? 'NOT confirmed off' : 'off'}, HV ${safe.hv}${safe.problems.length ? `; could not: ${safe.problems.join('; ')}` : ''}`;
    await markHandled(ws, aborted.request.id, `aborted; safe state: ${how}`);
  }
  return { runNumber: run.run_number, state, message: reason };
}

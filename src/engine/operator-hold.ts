import { setTimeout as sleep } from 'node:timers/promises';
import { DROPPED, markHandled, pauseState, pendingRequests, type OperatorRequest } from './operator-queue.js';
import { excludeModule, type RunScope } from './task-runner.js';
import { runModule } from '../station/runs.js';

/**
 * The master's side of the operator requests: at each task boundary it carries out what people
 * asked for (exclude, include, pause, resume, abort), holds while the run is paused, and, while a
 * task runs, watches for an abort so the task stops at its next safe point (as with Ctrl+C).
 */
export const REQUEST_POLL_MS = 500;

/** The reason of the master's stop signal when a person aborted the run. */
export class OperatorAbort extends Error {
  constructor(readonly request: OperatorRequest) {
    super(`aborted by ${request.requested_by}: ${request.reason ?? 'no reason given'}`);
    this.name = 'OperatorAbort';
  }
}

export interface OperatorControl {
  /** carries out pending requests; returns once the run is not paused (throws when stopped) */
  atBoundary(): Promise<void>;
  /** stops watching for aborts */
  close(): void;
}

const RESUME_HINT = 'resume with `fat resume` (or the dashboard), or stop with `fat abort --reason TEXT`';

/** What a master's operator control keeps between task boundaries. */
interface Hold {
  scope: RunScope;
  stop: AbortController;
  announcedPause: boolean;
}

export function operatorControl(scope: RunScope, stop: AbortController, configPath: string): OperatorControl {
  const h: Hold = { scope, stop, announcedPause: false };
  const watcher = watchForAborts(h);
  return {
    atBoundary: () => holdAtBoundary(h, configPath),
    close: () => clearInterval(watcher),
  };
}

function abortFor(h: Hold, r: OperatorRequest): void {
  if (!h.stop.signal.aborted) h.stop.abort(new OperatorAbort(r));
}

/**
 * A task that honours the signal (waits, scans) stops at its next safe point; the rest at the end.
 * Wall time: people ask in wall time, and the look runs in the background, never holding a task up.
 */
function watchForAborts(h: Hold): ReturnType<typeof setInterval> {
  const { ws, run } = h.scope;
  let looking = false;
  const watcher = setInterval(() => {
    if (looking || h.stop.signal.aborted) return;
    looking = true;
    void pendingRequests(ws, run.id)
      .then((rs) => {
        const a = rs.find((r) => r.action === 'abort');
        if (a) abortFor(h, a);
      })
      .catch(() => undefined)
      .finally(() => (looking = false));
  }, REQUEST_POLL_MS);
  watcher.unref();
  return watcher;
}

/** Carries out pending requests; returns once the run is not paused (throws when stopped). */
async function holdAtBoundary(h: Hold, configPath: string): Promise<void> {
  const { scope, stop } = h;
  const { ws, run } = scope;
  for (;;) {
    stop.signal.throwIfAborted();
    for (const r of await pendingRequests(ws, run.id)) {
      await handleRequest(h, r);
      stop.signal.throwIfAborted();
    }
    const p = await pauseState(ws, run.id);
    if (!p) return;
    // a paused run's files hold what the store holds
    await scope.exports?.settle();
    if (!h.announcedPause) {
      // paused before this master started (it crashed or was stopped while paused)
      h.announcedPause = true;
      scope.emit({
        level: 'warn',
        kind: 'run.paused',
        message: `Run ${run.number} is still paused by ${p.by} (since ${p.requestedAt}): ${p.reason ?? 'no reason given'}. The master (${configPath}) holds; ${RESUME_HINT}.`,
        audience: 'people',
      });
    }
    // people act in wall time; the lease heartbeat keeps the station held meanwhile
    await sleep(REQUEST_POLL_MS, undefined, { signal: stop.signal }).catch(() => stop.signal.throwIfAborted());
  }
}

async function includeModule(scope: RunScope, r: OperatorRequest): Promise<string> {
  const { ws, run } = scope;
  const m = await ws.db
    .selectFrom('modules')
    .selectAll()
    .where('run_id', '=', run.id)
    .where('degg_serial', '=', r.target ?? '')
    .executeTakeFirst();
  if (!m || m.state === 'active') return `${DROPPED}: not excluded`;
  await ws.db.updateTable('modules').set({ state: 'active', state_reason: null }).where('id', '=', m.id).execute();
  scope.modules.push(runModule(m));
  scope.modules.sort((a, b) => a.port - b.port);
  scope.emit({
    level: 'info',
    kind: 'module.included',
    message: `D-Egg ${m.degg_serial} on port ${m.port} takes part again from the next task on (included by ${r.requested_by})`,
    audience: 'people',
    data: { port: m.port, by: r.requested_by },
  });
  return 'included';
}

async function handleRequest(h: Hold, r: OperatorRequest): Promise<void> {
  const { scope } = h;
  const { ws } = scope;
  switch (r.action) {
    case 'abort':
      abortFor(h, r);
      return;
    case 'exclude': {
      const m = scope.modules.find((x) => x.serial === r.target);
      if (!m) {
        await markHandled(ws, r.id, `${DROPPED}: already excluded`);
        return;
      }
      await excludeModule(scope, m.port, `excluded by ${r.requested_by} (${r.via}): ${r.reason ?? 'no reason given'}`);
      await markHandled(ws, r.id, 'excluded');
      return;
    }
    case 'include':
      await markHandled(ws, r.id, await includeModule(scope, r));
      return;
    case 'pause':
    case 'resume':
      await pauseOrResume(h, r, r.action === 'pause');
      return;
  }
}

/** A pause or resume request: handled at this boundary, and told (a pause to the people, a resume to the channel). */
async function pauseOrResume(h: Hold, r: OperatorRequest, pause: boolean): Promise<void> {
  const { scope } = h;
  await markHandled(scope.ws, r.id, pause ? 'paused' : 'resumed');
  h.announcedPause = pause;
  const run = `Run ${scope.run.number}`;
  scope.emit({
    ...(pause
      ? ({
          level: 'warn',
          kind: 'run.paused',
          message: `${run} paused at the task boundary by ${r.requested_by}: ${r.reason ?? 'no reason given'}. The master holds; ${RESUME_HINT}.`,
          audience: 'people',
        } as const)
      : ({
          level: 'info',
          kind: 'run.resumed',
          message: `${run} resumed by ${r.requested_by}; continuing the schedule.`,
          audience: 'channel',
        } as const)),
    data: { requestId: r.id, by: r.requested_by },
  });
}

/** Pending aborts addressed to a master that died before it saw them are not for the new one. */
export async function dropStaleAborts(scope: Pick<RunScope, 'ws' | 'run'>): Promise<void> {
  for (const r of await pendingRequests(scope.ws, scope.run.id))
    if (r.action === 'abort') await markHandled(scope.ws, r.id, `${DROPPED}: the master it was meant for stopped before it saw it`);
}

/** At the end of the run, requests nobody will carry out any more are closed. */
export async function dropPending(scope: Pick<RunScope, 'ws' | 'run'>, why: string): Promise<void> {
  for (const r of await pendingRequests(scope.ws, scope.run.id)) await markHandled(scope.ws, r.id, `${DROPPED}: ${why}`);
}

import type { Workspace } from '../station/workspace.js';
import { recordEvent } from '../records/check-results.js';
import { nowIso } from '../store/open.js';
import type { OperatorAction } from '../store/schema.js';
import { leaseHolder } from './lease.js';
import { currentRun, pauseState, pendingRequests, type OperatorRequest } from './operator-queue.js';

/**
 * Pause, resume, abort, exclude and include, as `fat pause|resume|abort|exclude|include` and the
 * POST endpoints of `fat serve` ask for them (one function, like answer-open.ts): checks that the
 * request applies now, records it with who asked, why and how, and records an `operator.*` event.
 * The master carries it out at its next task boundary (an abort also at the next safe point of the
 * running task). Without a master, only exclude and include apply, to the run's module records.
 */
export interface ActionRequest {
  action: OperatorAction;
  /** exclude/include: a module of the run, by serial or port */
  target?: string | null;
  reason?: string | null;
  by: string;
  via: 'cli' | 'web' | 'api' | 'slack';
}

export interface ActionResult {
  request: OperatorRequest;
  /** what happened, for the person who asked */
  message: string;
}

/** A request that does not apply now (nothing was changed); `invalid`: it lacks something. */
export class OperatorActionError extends Error {
  constructor(
    message: string,
    readonly invalid = false,
  ) {
    super(message);
    this.name = 'OperatorActionError';
  }
}

export const NEEDS_REASON: ReadonlySet<OperatorAction> = new Set(['pause', 'abort', 'exclude']);

const HOW = { cli: 'from the command line', web: 'in the browser', api: 'through the API', slack: 'in Slack' } as const;

async function findModule(ws: Workspace, runId: number, runNumber: number, target: string) {
  const rows = await ws.db.selectFrom('modules').selectAll().where('run_id', '=', runId).orderBy('port').execute();
  const t = target.trim();
  const m = /^\d+$/.test(t) ? rows.find((r) => r.port === Number(t)) : rows.find((r) => r.degg_serial.toLowerCase() === t.toLowerCase());
  if (!m)
    throw new OperatorActionError(
      `"${target}" is not a D-Egg of run ${runNumber}: give a serial or a port (${rows.map((r) => `${r.degg_serial} on ${r.port}`).join(', ') || 'the run has no modules'})`,
    );
  return m;
}

export async function requestAction(ws: Workspace, req: ActionRequest): Promise<ActionResult> {
  const { action, by, via } = req;
  const reason = req.reason?.trim() || null;
  if (NEEDS_REASON.has(action) && !reason) throw new OperatorActionError(`${action} needs a reason (it is recorded and notified)`, true);
  const run = await currentRun(ws);
  if (!run) throw new OperatorActionError(`station ${ws.station.name} has no run: nothing to ${action}`);
  const lease = await leaseHolder(ws);
  const master = lease && !lease.dead;
  const pending = await pendingRequests(ws, run.id);
  const paused = await pauseState(ws, run.id);
  const who = `${by} (${HOW[via]})`;
  const { target, message, appliedNow } = await decide({ ws, req, reason, run, master: Boolean(master), pending, paused, who });

  const now = nowIso(ws.clock.now());
  const request = await ws.db
    .insertInto('operator_requests')
    .values({
      station: ws.station.name,
      run_id: run.id,
      action,
      target,
      reason,
      requested_by: by,
      via,
      requested_at: now,
      handled_at: appliedNow ? now : null,
      outcome: appliedNow ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const level = action === 'resume' || action === 'include' ? 'info' : 'warn';
  await recordEvent(ws, run.id, level, `operator.${action}`, message, { requestId: request.id, by, via, reason, target });
  return { request, message };
}

interface Decision {
  target: string | null;
  message: string;
  appliedNow?: string;
}

interface DecisionInput {
  ws: Workspace;
  req: ActionRequest;
  reason: string | null;
  run: NonNullable<Awaited<ReturnType<typeof currentRun>>>;
  master: boolean;
  pending: Awaited<ReturnType<typeof pendingRequests>>;
  paused: Awaited<ReturnType<typeof pauseState>>;
  who: string;
}

/** Whether the action can be taken now, and what it says; refusals throw OperatorActionError. */
async function decide(d: DecisionInput): Promise<Decision> {
  const { ws, req, reason, run, master, pending, paused, who } = d;
  const { action } = req;
  const noMaster = `no master is running on station ${ws.station.name}`;
  switch (action) {
    case 'pause': {
      if (!master) throw new OperatorActionError(`${noMaster}: there is nothing to pause`);
      if (paused)
        throw new OperatorActionError(
          `run ${run.run_number} is already paused by ${paused.by}${paused.reason ? ` (${paused.reason})` : ''}: resume it with \`fat resume\``,
        );
      if (pending.some((r) => r.action === 'abort'))
        throw new OperatorActionError(`run ${run.run_number} is being aborted: nothing to pause`);
      const message = `${who} paused run ${run.run_number}: ${reason}. The master holds at the next task boundary; resume with \`fat resume\`.`;
      return { target: null, message };
    }
    case 'resume': {
      if (!master)
        throw new OperatorActionError(`${noMaster}: there is nothing to resume (start it with \`fat master CONFIG.ini --recover\`)`);
      if (!paused) throw new OperatorActionError(`run ${run.run_number} is not paused: nothing to resume`);
      const message = `${who} resumed run ${run.run_number} (paused by ${paused.by}${paused.reason ? `: ${paused.reason}` : ''}).`;
      return { target: null, message };
    }
    case 'abort': {
      if (!master) throw new OperatorActionError(`${noMaster}: there is nothing to abort`);
      const other = pending.find((r) => r.action === 'abort');
      if (other) throw new OperatorActionError(`run ${run.run_number} is already being aborted by ${other.requested_by}: ${other.reason}`);
      const message = `${who} aborted run ${run.run_number}: ${reason}. The master stops at the next safe point, brings the lab to its safe state, and the run stays recoverable with --recover.`;
      return { target: null, message };
    }
    case 'exclude':
    case 'include':
      return moduleChange(d, req.target ?? '');
  }
}

/** Exclude or include a module: refused when it is already so; changed at once when no master runs. */
async function moduleChange(d: DecisionInput, targetArg: string): Promise<Decision> {
  const { ws, req, reason, run, master, pending, who } = d;
  const { action, by } = req;
  const m = await findModule(ws, run.id, run.run_number, targetArg);
  const target = m.degg_serial;
  const queued = pending.filter((r) => (r.action === 'exclude' || r.action === 'include') && r.target === target).pop();
  const willBeExcluded = queued ? queued.action === 'exclude' : m.state === 'excluded';
  const name = `D-Egg ${m.degg_serial} (port ${m.port})`;
  if (action === 'exclude' && willBeExcluded)
    throw new OperatorActionError(`${name} is already excluded from run ${run.run_number}${m.state_reason ? `: ${m.state_reason}` : ''}`);
  if (action === 'include' && !willBeExcluded) throw new OperatorActionError(`${name} is not excluded from run ${run.run_number}`);
  const verb = action === 'exclude' ? 'excluded' : 'included again';
  let message = `${who} ${verb} ${name} ${action === 'exclude' ? 'from' : 'in'} run ${run.run_number}${reason ? `: ${reason}` : ''}`;
  if (master) {
    message += action === 'exclude' ? '. Tasks from the next one on skip it.' : '. Tasks from the next one on measure it.';
  } else {
    // no master to hand it to: the module record changes now, and a master started later reads it
    await ws.db
      .updateTable('modules')
      .set(
        action === 'exclude'
          ? { state: 'excluded', state_reason: `excluded by ${by}: ${reason}` }
          : { state: 'active', state_reason: null },
      )
      .where('id', '=', m.id)
      .execute();
    const appliedNow = `${verb} (no master running: module record changed)`;
    message += ` (no master is running: recorded on the module; a master started later ${action === 'exclude' ? 'skips' : 'measures'} it).`;
    return { target, message, appliedNow };
  }
  return { target, message };
}

import type { Workspace } from '../station/workspace.js';
import type { OperatorStatus } from '../records/api-types.js';
import { leaseHolder } from './lease.js';
import { currentRun, pauseState, pendingRequests } from './operator-queue.js';

/**
 * What `fat status` and GET /api/status say about operator requests: a pause by a person (in
 * effect, or waiting for the next task boundary) with how to resume, and requests not yet handled.
 */
export async function operatorStatus(ws: Workspace): Promise<OperatorStatus> {
  const run = await currentRun(ws);
  if (!run) return { paused: null, pending: [] };
  const paused = await pauseState(ws, run.id);
  const pending = await pendingRequests(ws, run.id);
  const lease = await leaseHolder(ws);
  // a pause outlives its master: a master started with --recover holds until someone resumes
  const resumeWith =
    lease && !lease.dead
      ? '`fat resume` (or POST /api/master/resume)'
      : 'start the master with `fat master CONFIG.ini --recover` (it holds), then `fat resume`';
  return {
    paused: paused ? { ...paused, resumeWith } : null,
    pending: pending.map((r) => ({
      id: r.id,
      action: r.action,
      target: r.target,
      reason: r.reason,
      by: r.requested_by,
      via: r.via,
      requestedAt: r.requested_at,
    })),
  };
}

export function formatOperator(o: OperatorStatus): string[] {
  const out: string[] = [];
  if (o.paused) {
    const why = o.paused.reason ? `: ${o.paused.reason}` : '';
    out.push(
      o.paused.inEffect
        ? `  PAUSED by ${o.paused.by}${why} (since ${o.paused.requestedAt.slice(0, 19)}); to resume: ${o.paused.resumeWith}`
        : `  PAUSE requested by ${o.paused.by}${why}: the master holds at the next task boundary; cancel with \`fat resume\``,
    );
  }
  for (const r of o.pending) {
    if (r.action === 'pause' && o.paused && !o.paused.inEffect) continue;
    out.push(`  pending: ${r.action}${r.target ? ` ${r.target}` : ''} by ${r.by} (${r.via})${r.reason ? `: ${r.reason}` : ''}`);
  }
  return out;
}

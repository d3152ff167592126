import os from 'node:os';
import type { Workspace } from '../station/workspace.js';
import { nowIso } from '../store/open.js';

/**
 * Only one master drives a station: it holds a lease row in the store and renews it. A new master
 * takes the lease over only when the holder is dead: on this host its process is gone, elsewhere
 * its heartbeat is older than STALE_MS.
 */
export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 60_000;

export interface Lease {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function leaseHolder(ws: Workspace) {
  const row = await ws.db.selectFrom('leases').selectAll().where('station', '=', ws.station.name).executeTakeFirst();
  if (!row) return undefined;
  const dead = row.host === os.hostname() ? !alive(row.pid) : Date.now() - Date.parse(row.heartbeat_at) > STALE_MS;
  return { ...row, dead };
}

export class LeaseHeld extends Error {}

export async function acquireLease(ws: Workspace): Promise<Lease> {
  const me = { pid: process.pid, host: os.hostname(), holder: `${os.hostname()}:${process.pid}` };
  const now = nowIso();
  const won = await takeOrHeld(ws, me, now);
  if (won) {
    throw new LeaseHeld(
      `another master (${won.holder}, since ${won.acquired_at}) is driving station ${ws.station.name}; only one may. ` +
        `Stop it first, or wait: a master that died releases the station by itself.`,
    );
  }
  // wall: other processes judge the holder by its heartbeat's age in wall time; in the background
  const timer = setInterval(() => {
    void ws.db
      .updateTable('leases')
      .set({ heartbeat_at: nowIso() })
      .where('station', '=', ws.station.name)
      .where('pid', '=', me.pid)
      .execute()
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await ws.db.deleteFrom('leases').where('station', '=', ws.station.name).where('pid', '=', me.pid).execute();
    },
  };
}

/**
 * Takes the lease, or returns its live holder. Two masters starting at the same instant may both
 * find no row; the second insert then breaks the primary key (PostgreSQL does not serialise them
 * as SQLite's single writer does), and a second look finds the winner.
 */
async function takeOrHeld(ws: Workspace, me: { pid: number; host: string; holder: string }, now: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await takeOnce(ws, me, now);
    } catch (e) {
      if (attempt > 0 || !/unique|duplicate key/i.test(String((e as Error).message))) throw e;
    }
  }
}

async function takeOnce(ws: Workspace, me: { pid: number; host: string; holder: string }, now: string) {
  return ws.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('leases').selectAll().where('station', '=', ws.station.name).executeTakeFirst();
    if (row) {
      const dead = row.host === me.host ? !alive(row.pid) : Date.now() - Date.parse(row.heartbeat_at) > STALE_MS;
      if (!dead && row.pid !== me.pid) return row;
      await tx.deleteFrom('leases').where('station', '=', ws.station.name).execute();
    }
    await tx
      .insertInto('leases')
      .values({ station: ws.station.name, ...me, acquired_at: now, heartbeat_at: now })
      .execute();
    return undefined;
  });
}

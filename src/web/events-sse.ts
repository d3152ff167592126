import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Workspace } from '../station/workspace.js';
import type { StationEvent } from '../records/api-types.js';

/**
 * GET /api/events: the new rows of the store's events table as server-sent events, polled every
 * second so that a master in another process shows live. The SSE id is the event id; a client
 * that reconnects with Last-Event-ID (or ?after=ID) gets what it missed, a new one only what
 * comes after it connected.
 */
export const POLL_MS = 1000;
const BATCH = 500;

async function lastEventId(ws: Workspace): Promise<number> {
  const r = await ws.db
    .selectFrom('events')
    .select((e) => e.fn.max('id').as('id'))
    .where('station', '=', ws.station.name)
    .executeTakeFirst();
  return Number(r?.id ?? 0);
}

function startId(c: Context): number | undefined {
  const raw = c.req.header('last-event-id') ?? c.req.query('after');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

let open = 0;

/** Event streams open now in this process (a disconnected client's stream ends within one poll). */
export function openEventStreams(): number {
  return open;
}

export function eventsStream(ws: Workspace, c: Context, pollMs = POLL_MS) {
  return streamSSE(c, async (stream) => {
    open++;
    try {
      await pump();
    } finally {
      open--;
    }
    async function pump() {
      let after = startId(c) ?? (await lastEventId(ws));
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ station: ws.station.name, after }) });
      while (!stream.aborted && !stream.closed && !c.req.raw.signal.aborted) {
        const rows = await ws.db
          .selectFrom('events')
          .selectAll()
          .where('station', '=', ws.station.name)
          .where('id', '>', after)
          .orderBy('id')
          .limit(BATCH)
          .execute();
        for (const r of rows) {
          await stream.writeSSE({ id: String(r.id), data: JSON.stringify(r satisfies StationEvent) });
          after = r.id;
        }
        if (rows.length < BATCH) await stream.sleep(pollMs);
      }
    }
  });
}

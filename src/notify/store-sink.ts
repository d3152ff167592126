import type { Workspace } from '../station/workspace.js';
import { nowIso } from '../store/open.js';
import type { EventSink, FatEvent } from '../station/events.js';

/**
 * Events in the store: what `fat status`, the dashboard and the report read. `time` is lab time;
 * the trace and the audience ride in `data` so the row alone can rebuild the message.
 */
export function eventRow(station: string, e: FatEvent) {
  const data: Record<string, unknown> = { ...(e.data ?? {}) };
  if (e.detail) data.detail = e.detail;
  if (e.audience) data.audience = e.audience;
  return {
    station,
    run_id: e.runId,
    time: nowIso(e.timeMs),
    level: e.level,
    kind: e.kind,
    message: e.message,
    data: JSON.stringify(data),
  };
}

/** rows per INSERT (7 parameters each: far below either engine's limit) */
const ROWS_PER_INSERT = 200;

export function createStoreSink(ws: Pick<Workspace, 'db' | 'station'>): EventSink {
  return {
    async emit(e) {
      await ws.db.insertInto('events').values(eventRow(ws.station.name, e)).execute();
    },
    async emitMany(events) {
      for (let i = 0; i < events.length; i += ROWS_PER_INSERT)
        await ws.db
          .insertInto('events')
          .values(events.slice(i, i + ROWS_PER_INSERT).map((e) => eventRow(ws.station.name, e)))
          .execute();
    },
  };
}

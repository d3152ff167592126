import { Hono } from 'hono';
import type { Workspace } from '../station/workspace.js';
import { stationStatus } from '../engine/status.js';
import type { AuthEnv } from './auth.js';
import type { StationsAnswer, StationView } from '../records/api-types.js';

/**
 * GET /api/stations: every station of the store (one on SQLite, all of the lab on a shared
 * PostgreSQL), each with its master, run, current task, open prompt and its last 20 alerts
 * (warnings and errors). Forecasts use this server's clock.
 */
const ALERT_LEVELS = ['warn', 'error', 'critical'] as const;

export function stationsApi(ws: Workspace) {
  const api = new Hono<AuthEnv>();
  api.get('/api/stations', async (c) => {
    const names = (await ws.db.selectFrom('stations').select('name').orderBy('name').execute()).map((r) => r.name);
    const stations: StationView[] = [];
    for (const name of names) {
      const view: Workspace = { ...ws, station: { ...ws.station, name } };
      const s = await stationStatus(view);
      const alerts = await ws.db
        .selectFrom('events')
        .select(['time', 'level', 'kind', 'message'])
        .where('station', '=', name)
        .where('level', 'in', [...ALERT_LEVELS])
        .orderBy('id', 'desc')
        .limit(20)
        .execute();
      stations.push({
        name,
        here: name === ws.station.name,
        master: s.master,
        run: s.run,
        schedule: s.schedule,
        current: s.schedule?.current ?? null,
        prompt: s.prompt,
        modules: { total: s.modules.length, excluded: s.modules.filter((m) => m.state !== 'active').length },
        alerts,
        events: s.events,
      });
    }
    return c.json({ stations } satisfies StationsAnswer);
  });
  return api;
}

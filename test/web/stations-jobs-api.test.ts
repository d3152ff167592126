import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createApiToken } from '../../src/web/users.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * GET /api/stations and the jobs API on a single station's SQLite store: the one station with its
 * run; no job queue (analyses run inside the master), said in the answer; a retry needs a user and
 * is refused with the reason. The PostgreSQL side (two stations, workers) is test/e2e/two-stations.
 */
describe('fat serve: stations and jobs on SQLite', () => {
  let h: ServedHome;
  let token: string;
  beforeAll(async () => {
    h = await servedHome();
    await seedRun(h.ws);
    await addUser(h.ws, 'bob', 'correct horse battery', 'admin');
    token = await createApiToken(h.ws, 'bob');
  });
  afterAll(async () => h?.close());

  it('lists this station with its run and alerts', async () => {
    await h.ws.db
      .insertInto('events')
      .values({
        station: h.ws.station.name,
        run_id: null,
        time: new Date().toISOString(),
        level: 'warn',
        kind: 'task.stalled',
        message: 'stalled for 30 min',
        data: '{}',
      })
      .execute();
    const r = await fetch(`${h.server.url}/api/stations`);
    expect(r.status).toBe(200);
    const { stations } = (await r.json()) as {
      stations: Array<{ name: string; here: boolean; run: { number: number } | null; alerts: Array<{ message: string; level: string }> }>;
    };
    expect(stations).toHaveLength(1);
    expect(stations[0]).toMatchObject({ name: h.ws.station.name, here: true });
    expect(stations[0].run?.number).toBeGreaterThan(0);
    expect(stations[0].alerts[0]).toMatchObject({ level: 'warn', message: 'stalled for 30 min' });
  });

  it('has no job queue: the list says why, a retry needs a user and is refused with the reason', async () => {
    const list = (await (await fetch(`${h.server.url}/api/jobs`)).json()) as { queue: unknown; jobs: unknown[]; message: string };
    expect(list).toMatchObject({ queue: null, jobs: [] });
    expect(list.message).toContain('analyses run inside the master');
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await fetch(`${h.server.url}/api/jobs/${id}/retry`, { method: 'POST' })).status).toBe(401);
    const r = await fetch(`${h.server.url}/api/jobs/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: string }).error).toContain('SQLite');
  });
});

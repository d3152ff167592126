import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEnv } from '../../src/web/auth.js';
import { mountDashboard } from '../../src/web/static.js';
import { seedRun } from './seed-run.js';
import type { HeadlineValues } from '../../src/records/api-types.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * The dashboard's read endpoints over a real socket and store, without login; and the serving of
 * the built front end (index.html for page paths, a 404 for a missing asset, the API untouched, a
 * page that says how to build when there is no build).
 */
describe('read API of the dashboard', () => {
  let h: ServedHome;
  const get = async (p: string) => {
    const r = await fetch(h.server.url + p);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    h = await servedHome();
    await seedRun(h.ws);
  });
  afterAll(async () => h?.close());

  it('GET /api/modules: one tile per module with its dark rate, temperature and verdict', async () => {
    const r = await get('/api/modules');
    expect(r.status).toBe(200);
    expect(r.body.run).toBe(1);
    const m = r.body.modules as Array<{ serial: string; verdict: string; temperatureC: number; headlines: HeadlineValues[] }>;
    const dark = (x: (typeof m)[number]) => x.headlines.find((h) => h.key === 'darkRate')!;
    expect(m.map((x) => [x.serial, x.verdict, dark(x).perPmt.LowerPmt, x.temperatureC])).toEqual([
      ['DEgg2026-1-001', 'pass', 900, -40.5],
      ['DEgg2026-1-002', 'fail', 9000, -39.5],
    ]);
    expect(m[0].headlines.map((h) => `${h.title} [${h.units}]`)).toEqual(['HV at 1e7 [V]', 'dark rate [Hz]', 'SPE height [mV]']);
    expect(m[0].headlines.find((h) => h.key === 'hv1e7')!.perPmt).toEqual({});
  });

  it('GET /api/modules: the dark rate tile is the 0.25 PE rate, not a later rate at an alternative threshold', async () => {
    const row = await h.ws.db.selectFrom('results').selectAll().where('degg_serial', '=', 'DEgg2026-1-001').executeTakeFirstOrThrow();
    const { id: _id, ...rest } = row;
    await h.ws.db
      .insertInto('results')
      .values({ ...rest, name: 'darkrate.alt_threshold', value: 123, verdict: 'info' })
      .execute();
    try {
      const r = await get('/api/modules');
      const tile = (r.body.modules as Array<{ serial: string; headlines: HeadlineValues[] }>).find((x) => x.serial === 'DEgg2026-1-001')!;
      expect(tile.headlines.find((x) => x.key === 'darkRate')!.perPmt).toEqual({ LowerPmt: 900 });
    } finally {
      await h.ws.db.deleteFrom('results').where('name', '=', 'darkrate.alt_threshold').execute();
    }
  });

  it('GET /api/modules/:serial: the module in every run, dark rate against temperature; an unknown one is a 404', async () => {
    const r = await get('/api/modules/DEgg2026-1-002');
    expect(r.status).toBe(200);
    expect((r.body.runs as unknown[]).length).toBe(1);
    expect(r.body.darkVsTemperature).toEqual([expect.objectContaining({ run: 1, pmt: 'LowerPmt', temperatureC: -39.5, rateHz: 9000 })]);
    const spe = await get('/api/modules/DEgg2026-1-002/spe');
    expect(spe.body).toEqual({
      serial: 'DEgg2026-1-002',
      run: 1,
      histograms: [],
      notes: [expect.stringContaining('is missing') as unknown],
    });
    const missing = await get('/api/modules/DEgg1999-0-000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('DEgg1999-0-000 is in no run');
  });

  it('GET /api/runs, /api/runs/:n, /api/runs/:n/report; a bad or unknown run says so', async () => {
    expect(((await get('/api/runs')).body.runs as Array<Record<string, unknown>>)[0]).toMatchObject({
      number: 1,
      comment: 'api test',
      modules: 2,
    });
    const run = await get('/api/runs/1');
    expect((run.body.verdicts as Array<{ verdict: string }>).map((v) => v.verdict)).toEqual(['pass', 'fail']);
    expect(await get('/api/runs/7')).toEqual({ status: 404, body: { error: expect.stringContaining('run 7 does not exist') as unknown } });
    expect(await get('/api/runs/abc')).toEqual({
      status: 400,
      body: { error: expect.stringContaining('"abc" is not a run number') as unknown },
    });
    const report = await fetch(`${h.server.url}/api/runs/1/report`);
    expect(report.headers.get('content-type')).toContain('text/html');
    expect(await report.text()).toContain('DEgg2026-1-002');
  });

  it('GET /api/environment: the bands of the station file and the mainboard temperatures', async () => {
    const r = await get('/api/environment');
    expect(r.body.bands).toEqual({ humidityMaxPct: 60, freezerBandC: 5, resumeAfterS: 600 });
    expect((r.body.mainboard as unknown[]).length).toBe(2);
  });

  it('GET /api/modules/:serial?limit=N&offset=K: a page of runs, newest first, with the total; a bad page says so', async () => {
    const second = await h.ws.db
      .insertInto('runs')
      .values({
        station: h.ws.station.name,
        run_number: 2,
        comment: 'retest',
        date: '2026-12-01',
        operator: 'bob',
        run_file: '/nowhere/run_00002.json',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const m = await h.ws.db.selectFrom('modules').selectAll().where('degg_serial', '=', 'DEgg2026-1-002').executeTakeFirstOrThrow();
    const { id: _id, ...mod } = m;
    await h.ws.db
      .insertInto('modules')
      .values({ ...mod, run_id: second.id })
      .execute();
    const runsOf = (b: Record<string, unknown>) => (b.runs as Array<{ run: { runNumber: number } }>).map((r) => r.run.runNumber);
    const all = await get('/api/modules/DEgg2026-1-002');
    expect(runsOf(all.body)).toEqual([2, 1]);
    expect(all.body.page).toEqual({ offset: 0, limit: null, total: 2 });
    const first = await get('/api/modules/DEgg2026-1-002?limit=1');
    expect(runsOf(first.body)).toEqual([2]);
    expect(first.body.page).toEqual({ offset: 0, limit: 1, total: 2 });
    // the older page carries that run's series (the dark rate of run 1)
    const older = await get('/api/modules/DEgg2026-1-002?limit=1&offset=1');
    expect(runsOf(older.body)).toEqual([1]);
    expect(older.body.darkVsTemperature).toEqual([expect.objectContaining({ run: 1, rateHz: 9000 })]);
    expect(runsOf((await get('/api/modules/DEgg2026-1-002?offset=5')).body)).toEqual([]);
    for (const bad of ['limit=0', 'limit=-1', 'limit=ten', 'offset=1e3']) {
      const r = await get(`/api/modules/DEgg2026-1-002?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(String(r.body.error)).toContain(`?${bad}`);
    }
  });
});

describe('serving the built dashboard', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-ui-'));
  const dist = path.join(parent, 'dist');
  fs.mkdirSync(dist);
  const app = new Hono<AuthEnv>();
  app.get('/api/status', (c) => c.json({ ok: true }));
  app.notFound((c) => c.json({ error: 'no such endpoint' }, 404));
  mountDashboard(app, dist);
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('without a build: a page that says how to make one', async () => {
    const r = await app.request('/');
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('npm run build:ui');
  });

  it('with a build: index.html for pages, the assets, 404 for a missing asset or API path, no way out of dist', async () => {
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<html>the dashboard</html>');
    fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(parent, 'secret.txt'), 'outside the build');
    expect(await (await app.request('/')).text()).toBe('<html>the dashboard</html>');
    expect(await (await app.request('/some/page')).text()).toBe('<html>the dashboard</html>');
    const js = await app.request('/assets/app.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toBe('console.log(1)');
    expect((await app.request('/assets/gone.js')).status).toBe(404);
    expect(await (await app.request('/api/status')).json()).toEqual({ ok: true });
    expect((await app.request('/api/nothing')).status).toBe(404);
    const out = await app.request('/..%2fsecret.txt');
    expect(out.status).toBe(404);
    expect(await out.text()).not.toContain('outside the build');
    expect((await app.request('/fat.db')).status).toBe(404);
  });
});

import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseCache } from '../../src/web/response-cache.js';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import type { HeadlineValues } from '../../src/records/api-types.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';
import { seedRun } from './seed-run.js';

/**
 * The read endpoints are answered from memory until the store changes: the same answer with the
 * same ETag, a 304 without a body to a client that has it, and a new answer as soon as anything is
 * committed, by the server's own connection or by another process (here another connection to
 * the same store, as the master's would be). On both store engines.
 */
describe.each<Engine>(['sqlite', 'postgres'])('cached read answers (%s)', (engine) => {
  let store: { url: string; drop(): Promise<void> };
  let ws: Workspace;
  let other: Workspace;
  let server: RunningServer;
  const get = (path: string, etag?: string) => fetch(`${server.url}${path}`, { headers: etag ? { 'If-None-Match': etag } : {} });
  const darkOf = async (r: Response, serial: string) => {
    const body = (await r.json()) as { modules: Array<{ serial: string; headlines: HeadlineValues[] }> };
    return body.modules.find((m) => m.serial === serial)!.headlines.find((h) => h.key === 'darkRate')!.perPmt.LowerPmt;
  };

  beforeAll(async () => {
    store = await freshStore(engine, 'response-cache');
    ws = await workspaceOn(store.url, 'cache');
    await seedRun(ws);
    other = await openWorkspace(ws.home.dir);
    server = await startServer(ws, '127.0.0.1', 0, { pollMs: 200 });
  });
  afterAll(async () => {
    await server?.close();
    await other?.close();
    await ws?.close();
    await store?.drop();
  });

  it('answers the same ETag while nothing changes, and 304 without a body to a client that has it', async () => {
    const first = await get('/api/modules');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(await darkOf(first, 'DEgg2026-1-001')).toBe(900);
    const second = await get('/api/modules');
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toContain('DEgg2026-1-001');
    const unchanged = await get('/api/modules', etag!);
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    // another endpoint has an answer of its own
    const runs = await get('/api/runs');
    expect(runs.status).toBe(200);
    expect(runs.headers.get('etag')).not.toBe(etag);
  });

  it('a commit by another connection (the master in its process) is seen at the next request', async () => {
    const before = await get('/api/modules');
    const etag = before.headers.get('etag')!;
    await before.body?.cancel();
    await other.db.updateTable('results').set({ value: 950 }).where('degg_serial', '=', 'DEgg2026-1-001').execute();
    const after = await get('/api/modules', etag);
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(await darkOf(after, 'DEgg2026-1-001')).toBe(950);
  });

  it("a commit through the server's own connection is seen too", async () => {
    const before = await get('/api/modules');
    const etag = before.headers.get('etag')!;
    await before.body?.cancel();
    await ws.db.updateTable('results').set({ value: 975 }).where('degg_serial', '=', 'DEgg2026-1-001').execute();
    const after = await get('/api/modules', etag);
    expect(after.status).toBe(200);
    expect(await darkOf(after, 'DEgg2026-1-001')).toBe(975);
  });

  it('an error is not kept: a run that does not exist yet answers once it does', async () => {
    expect((await get('/api/runs/2')).status).toBe(404);
    await other.db
      .insertInto('runs')
      .values({
        station: ws.station.name,
        run_number: 2,
        comment: 'second',
        date: '2026-12-06',
        operator: 'bob',
        run_file: '/nowhere/run_00002.json',
      })
      .execute();
    const r = await get('/api/runs/2');
    expect(r.status).toBe(200);
  });
});

/**
 * While one request makes an answer, the others for the same address and store wait for it
 * instead of making it again (eight dashboards after a commit make one answer, not eight); when
 * only an answer's time ran out (the status), they get the last one meanwhile.
 */
describe('one answer made at a time', () => {
  let store: { url: string; drop(): Promise<void> };
  let ws: Workspace;
  beforeAll(async () => {
    store = await freshStore('sqlite', 'response-cache-flight');
    ws = await workspaceOn(store.url, 'flight');
  });
  afterAll(async () => {
    await ws?.close();
    await store?.drop();
  });

  function appWith(ttlMs: number) {
    let made = 0;
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const app = new Hono();
    app.use('/x', responseCache(ws.db as unknown as Kysely<unknown>, { ttlMs: () => ttlMs }));
    app.get('/x', async (c) => {
      made++;
      await gate;
      return c.json({ made });
    });
    return {
      get: () => Promise.resolve(app.request('/x')),
      made: () => made,
      hold: () => {
        gate = new Promise<void>((r) => (release = r));
      },
      release: () => release(),
    };
  }

  it('requests that come while the answer is made wait for it', async () => {
    const a = appWith(Infinity);
    a.hold();
    const answers = Array.from({ length: 8 }, () => a.get());
    await expect.poll(() => a.made()).toBe(1);
    a.release();
    const bodies = await Promise.all(
      answers.map(async (r) => ((await r).status === 200 ? ((await (await r).json()) as { made: number }).made : -1)),
    );
    expect(bodies).toEqual(Array(8).fill(1));
    expect(a.made()).toBe(1);
    // a commit: the next request makes it again, once
    await ws.db
      .insertInto('runs')
      .values({ station: ws.station.name, run_number: 7, comment: 'c', date: '2026-12-06', operator: 'o', run_file: '/x.json' })
      .execute();
    const after = await Promise.all(Array.from({ length: 4 }, () => a.get()));
    expect(await Promise.all(after.map(async (r) => ((await r.json()) as { made: number }).made))).toEqual([2, 2, 2, 2]);
  });

  it('when only its time ran out, the last answer is given while the next is made', async () => {
    const a = appWith(0);
    expect(((await (await a.get()).json()) as { made: number }).made).toBe(1);
    a.hold();
    const making = a.get();
    await expect.poll(() => a.made()).toBe(2);
    // meanwhile: the last answer, at once
    expect(((await (await a.get()).json()) as { made: number }).made).toBe(1);
    a.release();
    expect(((await (await making).json()) as { made: number }).made).toBe(2);
  });
});

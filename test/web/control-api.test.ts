import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createApiToken } from '../../src/web/users.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * Operator actions over HTTP (pause, resume, abort, exclude, include): refused without a user (401)
 * or without the session's CSRF token (403), changing nothing; a bad body is a 400 naming the field;
 * pause/resume/abort without a master are a 409; exclude without a master changes the module record;
 * everything done is recorded with the user's name. The master's side is test/e2e/operator-actions.
 */
describe('fat serve: operator actions', () => {
  let h: ServedHome;
  let token: string;
  let session: Record<string, string>;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.server.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const bearer = () => ({ authorization: `Bearer ${token}` });
  const requests = () => h.ws.db.selectFrom('operator_requests').selectAll().orderBy('id').execute();
  const modules = () => h.ws.db.selectFrom('modules').select(['degg_serial', 'state', 'state_reason']).orderBy('port').execute();
  const error = async (r: Response) => ((await r.json()) as { error: string }).error;

  beforeAll(async () => {
    h = await servedHome();
    await seedRun(h.ws);
    await addUser(h.ws, 'alice', 'correct horse battery', 'admin');
    await addUser(h.ws, 'bob', 'correct horse battery', 'expert');
    token = await createApiToken(h.ws, 'bob');
    const login = await post('/api/login', { name: 'alice', password: 'correct horse battery' });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    session = { cookie: login.headers.get('set-cookie')!.split(';')[0], 'x-csrf-token': csrfToken };
  });
  afterAll(async () => h?.close());

  it('without login every action is a 401, without the CSRF token a 403, and nothing changes', async () => {
    const before = await modules();
    const calls: Array<[string, unknown]> = [
      ['/api/master/pause', { reason: 'door open' }],
      ['/api/master/resume', {}],
      ['/api/master/abort', { reason: 'power cut' }],
      ['/api/modules/DEgg2026-1-001/exclude', { reason: 'broken cable' }],
      ['/api/modules/DEgg2026-1-001/include', {}],
    ];
    for (const [p, body] of calls) {
      expect((await post(p, body)).status, p).toBe(401);
      expect((await post(p, body, { authorization: 'Bearer nonsense' })).status, p).toBe(401);
      expect((await post(p, body, { cookie: session.cookie })).status, p).toBe(403);
    }
    expect(await requests()).toEqual([]);
    expect(await modules()).toEqual(before);
    const events = await h.ws.db.selectFrom('events').select('kind').where('kind', 'like', 'operator.%').execute();
    expect(events).toEqual([]);
  });

  it('a bad body is a 400 naming the field, and nothing is recorded', async () => {
    const noReason = await post('/api/master/pause', {}, session);
    expect(noReason.status).toBe(400);
    expect(await error(noReason)).toContain('field "reason"');
    const numeric = await post('/api/master/abort', { reason: 42 }, session);
    expect(numeric.status).toBe(400);
    expect(await error(numeric)).toContain('field "reason": must be a string');
    const long = await post('/api/master/pause', { reason: 'x'.repeat(2001) }, session);
    expect(long.status).toBe(400);
    expect(await error(long)).toBe('field "reason": must be at most 2000 characters');
    const blank = await post('/api/modules/DEgg2026-1-001/exclude', { reason: '   ' }, bearer());
    expect(blank.status).toBe(400);
    expect(await error(blank)).toContain('field "reason"');
    const notJson = await post('/api/master/pause', '{reason: door', session);
    expect(notJson.status).toBe(400);
    expect(await error(notJson)).toContain('not valid JSON');
    const array = await post('/api/master/pause', ['door'], session);
    expect(array.status).toBe(400);
    expect(await error(array)).toContain('the body');
    expect(await requests()).toEqual([]);
  });

  it('pause, resume and abort without a master are a 409 that changes nothing', async () => {
    for (const [p, body] of [
      ['/api/master/pause', { reason: 'door open' }],
      ['/api/master/resume', {}],
      ['/api/master/abort', { reason: 'power cut' }],
    ] as const) {
      const r = await post(p, body, session);
      expect(r.status, p).toBe(409);
      const msg = await error(r);
      expect(msg).toContain('no master is running on station');
      expect(msg).toContain('nothing was changed');
    }
    expect(await requests()).toEqual([]);
  });

  it('exclude and include without a master change the module record, recorded with the user and the reason', async () => {
    const ex = await post('/api/modules/degg2026-1-002/exclude', { reason: 'cable damaged' }, bearer());
    expect(ex.status, await ex.clone().text()).toBe(200);
    expect(((await ex.json()) as { message: string }).message).toContain('bob (through the API) excluded D-Egg DEgg2026-1-002 (port 5001)');
    expect(await modules()).toEqual([
      { degg_serial: 'DEgg2026-1-001', state: 'active', state_reason: null },
      { degg_serial: 'DEgg2026-1-002', state: 'excluded', state_reason: 'excluded by bob: cable damaged' },
    ]);
    const again = await post('/api/modules/5001/exclude', { reason: 'twice' }, session);
    expect(again.status).toBe(409);
    expect(await error(again)).toContain('already excluded');
    const unknown = await post('/api/modules/DEgg1999-9-999/exclude', { reason: 'x' }, session);
    expect(unknown.status).toBe(409);
    expect(await error(unknown)).toContain('"DEgg1999-9-999" is not a D-Egg of run 1');
    const notExcluded = await post('/api/modules/DEgg2026-1-001/include', {}, session);
    expect(notExcluded.status).toBe(409);

    const inc = await post('/api/modules/DEgg2026-1-002/include', {}, session);
    expect(inc.status, await inc.clone().text()).toBe(200);
    expect((await modules())[1]).toEqual({ degg_serial: 'DEgg2026-1-002', state: 'active', state_reason: null });

    const rs = await requests();
    expect(rs.map((r) => [r.action, r.target, r.reason, r.requested_by, r.via, r.handled_at !== null])).toEqual([
      ['exclude', 'DEgg2026-1-002', 'cable damaged', 'bob', 'api', true],
      ['include', 'DEgg2026-1-002', null, 'alice', 'web', true],
    ]);
    const events = await h.ws.db
      .selectFrom('events')
      .select(['kind', 'message'])
      .where('kind', 'like', 'operator.%')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.kind)).toEqual(['operator.exclude', 'operator.include']);
    expect(events[0].message).toContain('cable damaged');
    expect(events[1].message).toContain('alice (in the browser) included again D-Egg DEgg2026-1-002');
  });

  it('with a master holding the station: a pause is pending until it holds, shown in /api/status; resume only when paused', async () => {
    // a live master is a lease held by a live process on this host: this one stands in for it
    const now = new Date().toISOString();
    await h.ws.db
      .insertInto('leases')
      .values({
        station: h.ws.station.name,
        holder: `${os.hostname()}:${process.pid}`,
        pid: process.pid,
        host: os.hostname(),
        acquired_at: now,
        heartbeat_at: now,
      })
      .execute();
    try {
      const notPaused = await post('/api/master/resume', {}, session);
      expect(notPaused.status).toBe(409);
      expect(await error(notPaused)).toContain('is not paused');

      const p = await post('/api/master/pause', { reason: 'freezer door open' }, session);
      expect(p.status, await p.clone().text()).toBe(200);
      const status = (await (await fetch(`${h.server.url}/api/status`)).json()) as {
        operator: { paused: { by: string; reason: string; inEffect: boolean } | null; pending: Array<{ action: string; by: string }> };
      };
      expect(status.operator.paused).toMatchObject({ by: 'alice', reason: 'freezer door open', inEffect: false });
      expect(status.operator.pending).toMatchObject([{ action: 'pause', by: 'alice' }]);

      const twice = await post('/api/master/pause', { reason: 'again' }, bearer());
      expect(twice.status).toBe(409);
      expect(await error(twice)).toContain('already paused by alice (freezer door open)');

      const r = await post('/api/master/resume', {}, bearer());
      expect(r.status, await r.clone().text()).toBe(200);
      const after = (await (await fetch(`${h.server.url}/api/status`)).json()) as { operator: { paused: unknown } };
      expect(after.operator.paused).toBeNull();
      const rs = (await requests()).filter((x) => x.action === 'pause' || x.action === 'resume');
      expect(rs.map((x) => [x.action, x.requested_by, x.via])).toEqual([
        ['pause', 'alice', 'web'],
        ['resume', 'bob', 'api'],
      ]);
    } finally {
      await h.ws.db.deleteFrom('leases').execute();
    }
  });
});

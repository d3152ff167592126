import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { OperatorActionError, requestAction } from '../../src/engine/operator-actions.js';
import { DROPPED, markHandled, pauseState, pendingRequests } from '../../src/engine/operator-queue.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';
import { seedRun } from '../web/seed-run.js';

/**
 * The operator requests in the store, on SQLite and on PostgreSQL (CI has it on 127.0.0.1:5432):
 * what applies without a master, the pause state a master and `fat status` read, and one abort at
 * a time. The master's side runs in test/e2e/operator-actions.test.ts.
 */
describe.each(['sqlite', 'postgres'] as Engine[])('operator requests on %s', (engine) => {
  let ws: Workspace;
  let drop: () => Promise<void>;
  const by = { by: 'erin', via: 'cli' } as const;
  const refused = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(OperatorActionError);
    return e as OperatorActionError;
  };
  const runId = async () => (await ws.db.selectFrom('runs').select('id').executeTakeFirstOrThrow()).id;
  const holdStation = async () => {
    const now = new Date().toISOString();
    await ws.db
      .insertInto('leases')
      .values({
        station: ws.station.name,
        holder: `${os.hostname()}:${process.pid}`,
        pid: process.pid,
        host: os.hostname(),
        acquired_at: now,
        heartbeat_at: now,
      })
      .execute();
  };

  beforeAll(async () => {
    const store = await freshStore(engine, `opreq_${engine}`);
    drop = () => store.drop();
    ws = await workspaceOn(store.url, `opreq-${engine}`);
    await seedRun(ws);
  });
  afterAll(async () => {
    await ws?.close();
    await drop?.();
  });

  it('without a master: exclude changes the module record at once; pause is refused and records nothing', async () => {
    const invalid = await refused(requestAction(ws, { action: 'exclude', target: '5000', reason: ' ', ...by }));
    expect(invalid.invalid).toBe(true);
    expect(invalid.message).toContain('exclude needs a reason');
    const r = await requestAction(ws, { action: 'exclude', target: '5000', reason: 'HV trips', ...by });
    expect(r.request).toMatchObject({ action: 'exclude', target: 'DEgg2026-1-001', requested_by: 'erin', via: 'cli' });
    expect(r.request.outcome).toContain('no master running');
    const m = await ws.db.selectFrom('modules').select(['state', 'state_reason']).where('port', '=', 5000).executeTakeFirstOrThrow();
    expect(m).toEqual({ state: 'excluded', state_reason: 'excluded by erin: HV trips' });
    const noMaster = await refused(requestAction(ws, { action: 'pause', reason: 'door', ...by }));
    expect(noMaster.invalid).toBe(false);
    expect(noMaster.message).toContain('no master is running');
    expect(await ws.db.selectFrom('operator_requests').select('action').execute()).toEqual([{ action: 'exclude' }]);
  });

  it('with a master: a pause is pending, then in effect once handled; resume ends it; one abort at a time', async () => {
    await holdStation();
    const run = await runId();
    const p = await requestAction(ws, { action: 'pause', reason: 'freezer door open', ...by });
    expect(await pauseState(ws, run)).toMatchObject({ by: 'erin', reason: 'freezer door open', inEffect: false });
    expect((await pendingRequests(ws, run)).map((r) => r.id)).toEqual([p.request.id]);
    expect(await markHandled(ws, p.request.id, 'paused')).toBe(true);
    expect(await markHandled(ws, p.request.id, 'paused')).toBe(false);
    expect(await pauseState(ws, run)).toMatchObject({ inEffect: true });
    expect(await pendingRequests(ws, run)).toEqual([]);
    expect((await refused(requestAction(ws, { action: 'pause', reason: 'again', ...by }))).message).toContain('already paused by erin');

    await requestAction(ws, { action: 'resume', ...by, via: 'web' });
    expect(await pauseState(ws, run)).toBeUndefined();
    expect((await refused(requestAction(ws, { action: 'resume', ...by }))).message).toContain('is not paused');

    const a = await requestAction(ws, { action: 'abort', reason: 'power cut', ...by });
    expect((await refused(requestAction(ws, { action: 'abort', reason: 'twice', ...by }))).message).toContain(
      'already being aborted by erin',
    );
    // an abort that a dead master never saw is dropped by the next one; it does not count any more
    await markHandled(ws, a.request.id, `${DROPPED}: the master it was meant for stopped before it saw it`);
    const again = await requestAction(ws, { action: 'abort', reason: 'now really', ...by });
    expect(again.request.handled_at).toBeNull();
    const kinds = await ws.db.selectFrom('events').select('kind').where('kind', 'like', 'operator.%').orderBy('id').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['operator.exclude', 'operator.pause', 'operator.resume', 'operator.abort', 'operator.abort']);
  });
});

import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeUrl, type Workspace } from '../../src/station/workspace.js';
import { recordResults } from '../../src/records/results.js';
import { runResults } from '../../src/records/verdicts.js';
import { findRun, latestRun } from '../../src/station/runs.js';
import { createSchedule, finishTask, reopenFailed, scheduleTasks, startTask, supersedeInterrupted } from '../../src/engine/journal.js';
import { acquireLease, LeaseHeld, leaseHolder } from '../../src/engine/lease.js';
import { answerPrompt, openPrompt, openPromptOf } from '../../src/engine/prompts.js';
import { stationStatus } from '../../src/engine/status.js';
import { createStoreSink } from '../../src/notify/store-sink.js';
import { addUser, createApiToken, disableUser, login, sessionUser, tokenUser } from '../../src/web/users.js';
import { openStore, parseJson } from '../../src/store/open.js';
import { freshStore, PG_URL, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * The store's behaviour, the same on SQLite (one station's file) and PostgreSQL (several stations
 * sharing one database: here each test run has a schema of its own, dropped at the end).
 */
async function addRun(ws: Workspace, runNumber: number, ports = [5000, 5001]) {
  const run = await ws.db
    .insertInto('runs')
    .values({
      station: ws.station.name,
      run_number: runNumber,
      comment: 'batch',
      date: '2026-11-27',
      operator: 'shifter',
      run_file: '/fat/json/run/run_00001.json',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const port of ports) {
    await ws.db
      .insertInto('modules')
      .values({
        run_id: run.id,
        port,
        wire_pair: 0,
        degg_serial: `DEgg2026-1-${port}`,
        icm_id: 'a400000f18a1722d',
        fpga_version: 272,
        software_version: 62,
        flash_id: 'f'.repeat(32),
        mainboard_id: 'mb',
        registry: '{}',
        json_file: `/x/${port}.json`,
        state: 'active',
      })
      .execute();
  }
  return run.id;
}

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`store (${engine})`, () => {
    let store: { url: string; drop(): Promise<void> };
    let a: Workspace; // station lab-a
    let b: Workspace; // station lab-b, on the same database
    beforeAll(async () => {
      store = await freshStore(engine, 'store');
      a = await workspaceOn(store.url, 'lab-a');
      b = await workspaceOn(store.url, 'lab-b');
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await store?.drop();
    });

    it('keeps runs and modules across reopen, refuses a run number twice on a station but not on another', async () => {
      await addRun(a, 1);
      const again = await openStore(store.url); // reopening runs no migration twice and loses nothing
      const mods = await again
        .selectFrom('modules')
        .innerJoin('runs', 'runs.id', 'modules.run_id')
        .select(['degg_serial', 'run_number', 'port'])
        .where('runs.station', '=', 'lab-a')
        .orderBy('port')
        .execute();
      await again.destroy();
      expect(mods).toEqual([
        { degg_serial: 'DEgg2026-1-5000', run_number: 1, port: 5000 },
        { degg_serial: 'DEgg2026-1-5001', run_number: 1, port: 5001 },
      ]);
      await expect(addRun(a, 1)).rejects.toThrow(/unique/i);
      await addRun(b, 1); // run numbers are per station
      expect((await findRun(a, '1')).station).toBe('lab-a');
      expect((await findRun(b, 'run_00001')).station).toBe('lab-b');
      expect((await latestRun(b))?.id).not.toBe((await latestRun(a))?.id);
    });

    it('keeps 8-byte floats and gives times as the same text on both engines', async () => {
      const runId = (await latestRun(a))!.id;
      const v = 12345678.901234567;
      const row = await a.db
        .insertInto('results')
        .values({
          station: 'lab-a',
          run_id: runId,
          task_id: null,
          kind: 'k',
          port: 5000,
          degg_serial: 's',
          pmt: null,
          name: 'x',
          value: v,
          verdict: 'info',
          goalposts_version: '1',
          folder: null,
          provenance: '{}',
        })
        .returning(['id', 'value', 'created_at', 'units', 'detail'])
        .executeTakeFirstOrThrow();
      expect(row.value).toBe(v);
      expect(row.units).toBe('');
      expect(row.detail).toBe('{}');
      expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(typeof row.id).toBe('number');
      await a.db.deleteFrom('results').where('id', '=', row.id).execute();
    });

    it('walks a task through the journal: start, fail, reopen, crash, supersede, done', async () => {
      const runId = (await latestRun(a))!.id;
      const plan = (i: number) => ({
        index: i,
        section: `s${i}`,
        kind: 'wait_time',
        params: { pause: i },
        runBackup: i === 1,
        estimateS: 1.5,
      });
      const old = await createSchedule(a, {
        runId,
        masterKey: 'MasterFAT_00',
        configPath: '/c.ini',
        configHash: 'h',
        archivedPath: '/a.ini',
        tasks: [plan(0)],
      });
      const sid = await createSchedule(a, {
        runId,
        masterKey: 'MasterFAT_01',
        configPath: '/c.ini',
        configHash: 'h',
        archivedPath: '/a.ini',
        tasks: [plan(0), plan(1)],
      });
      expect(sid).not.toBe(old);
      expect((await a.db.selectFrom('schedules').select('state').where('id', '=', old).executeTakeFirstOrThrow()).state).toBe('superseded');
      const [t0, t1] = await scheduleTasks(a, sid);
      expect([t0.run_backup, t1.run_backup, t0.estimate_s, parseJson<{ pause: number }>(t1.params, 'params').pause]).toEqual([
        0, 1, 1.5, 1,
      ]);

      expect(await startTask(a, t0.id, Date.parse('2026-11-27T10:00:00Z'))).toBe(1);
      await finishTask(a, t0.id, 'failed', Date.parse('2026-11-27T10:01:00Z'), { error: 'boom' });
      expect(await reopenFailed(a, sid)).toBe(1);
      expect(await startTask(a, t0.id, Date.parse('2026-11-27T10:02:00Z'))).toBe(2);
      // the master dies here; the next one supersedes the running attempt and runs it again
      expect(await supersedeInterrupted(a, sid)).toBe(1);
      expect(await startTask(a, t0.id, Date.parse('2026-11-27T10:03:00Z'))).toBe(3);
      await finishTask(a, t0.id, 'done', Date.parse('2026-11-27T10:04:00Z'), { result: { ok: true } });

      const t = (await scheduleTasks(a, sid))[0];
      expect([t.state, t.attempts, t.progress, t.error, t.started_at, t.ended_at]).toEqual([
        'done',
        3,
        1,
        null,
        '2026-11-27T10:03:00.000Z',
        '2026-11-27T10:04:00.000Z',
      ]);
      const attempts = await a.db
        .selectFrom('task_attempts')
        .select(['attempt', 'outcome', 'error'])
        .where('task_id', '=', t0.id)
        .orderBy('attempt')
        .execute();
      expect(attempts).toEqual([
        { attempt: 1, outcome: 'failed', error: 'boom' },
        { attempt: 2, outcome: 'superseded', error: null },
        { attempt: 3, outcome: 'done', error: null },
      ]);
    });

    it('one master per station: a live holder keeps the lease, a dead one loses it, another station is not affected', async () => {
      const live = {
        holder: 'other',
        pid: process.ppid,
        host: os.hostname(),
        acquired_at: '2026-11-27T00:00:00.000Z',
        heartbeat_at: new Date().toISOString(),
      };
      await a.db
        .insertInto('leases')
        .values({ station: 'lab-a', ...live })
        .execute();
      await expect(acquireLease(a)).rejects.toThrow(LeaseHeld);
      await expect(acquireLease(a)).rejects.toThrow(/another master \(other.*station lab-a/);
      const leaseB = await acquireLease(b); // lab-b's master is not held up by lab-a's
      expect((await leaseHolder(b))?.pid).toBe(process.pid);
      expect((await leaseHolder(a))?.holder).toBe('other');
      // a holder on this host whose process is gone is dead: the lease is taken over
      await a.db
        .updateTable('leases')
        .set({ pid: 2 ** 22 + 12345 })
        .where('station', '=', 'lab-a')
        .execute();
      expect((await leaseHolder(a))?.dead).toBe(true);
      const leaseA = await acquireLease(a);
      expect((await leaseHolder(a))?.pid).toBe(process.pid);
      await leaseA.release();
      await leaseB.release();
      expect(await leaseHolder(a)).toBeUndefined();
      expect(await leaseHolder(b)).toBeUndefined();
    });

    it('a station sees only its own open prompt, and a prompt is answered once', async () => {
      const runA = (await latestRun(a))!.id;
      const taskA = (await a.db.selectFrom('tasks').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id;
      const id = await openPrompt(a, runA, taskA, 'manual_input', 'Close the freezer', Date.parse('2026-11-27T11:00:00Z'));
      expect(await openPrompt(a, runA, taskA, 'manual_input', 'Close the freezer', Date.now())).toBe(id); // reopening asks no twice
      expect((await openPromptOf(a))?.message).toBe('Close the freezer');
      expect(await openPromptOf(b)).toBeUndefined();
      expect((await stationStatus(b)).prompt).toBeNull();
      expect((await stationStatus(a)).prompt?.id).toBe(id);
      const yes = { answer: 'yes' as const, reason: null, answeredBy: 'ana', via: 'cli' };
      expect(await answerPrompt(a, id, yes)).toBe(true);
      expect(await answerPrompt(a, id, { ...yes, answer: 'no', answeredBy: 'bob' })).toBe(false);
      const p = await a.db.selectFrom('prompts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect([p.answer, p.answered_by, p.via]).toEqual(['yes', 'ana', 'cli']);
      expect(await openPromptOf(a)).toBeUndefined();
    });

    it('results are recorded with provenance and read back per run and module', async () => {
      const runId = (await latestRun(a))!.id;
      const rows = await recordResults(a, { runId, taskId: null, kind: 'measure_gain', folder: '/data/gain/20261127_00' }, [
        { port: 5000, serial: 'DEgg2026-1-5000', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1423.9125, detail: { fitError: 0.5 } },
        { port: 5001, serial: 'DEgg2026-1-5001', pmt: 'UpperPmt', name: 'gain.hv1e7', value: 9999 },
      ]);
      expect(rows.map((r) => r.verdict)).toEqual(['pass', 'fail']);
      const back = await runResults(a, runId, 'DEgg2026-1-5000');
      expect(back).toHaveLength(1);
      expect(back[0]).toMatchObject({ name: 'gain.hv1e7', value: 1423.9125, pmt: 'LowerPmt', verdict: 'pass' });
      expect(typeof back[0].id).toBe('number');
      expect(await runResults(b, (await latestRun(b))!.id)).toEqual([]);
    });

    it('events page by id per station, and status shows the latest five of this station only', async () => {
      const sinkA = createStoreSink(a);
      const sinkB = createStoreSink(b);
      for (let i = 0; i < 7; i++) {
        await sinkA.emit({
          level: 'info',
          kind: 'test',
          message: `a${i}`,
          runId: null,
          timeMs: Date.parse('2026-11-27T12:00:00Z') + i * 1000,
        });
        await sinkB.emit({
          level: 'warn',
          kind: 'test',
          message: `b${i}`,
          runId: null,
          timeMs: Date.parse('2026-11-27T12:00:00Z') + i * 1000,
        });
      }
      const st = await stationStatus(a);
      expect(st.events.map((e) => e.message)).toEqual(['a2', 'a3', 'a4', 'a5', 'a6']);
      expect(st.events[0].time).toBe('2026-11-27T12:00:02.000Z');
      // paging as the dashboard's event stream does: after an id, in id order, per station
      const first = await a.db.selectFrom('events').selectAll().where('station', '=', 'lab-a').orderBy('id').limit(3).execute();
      const next = await a.db
        .selectFrom('events')
        .selectAll()
        .where('station', '=', 'lab-a')
        .where('id', '>', first[2].id)
        .orderBy('id')
        .limit(3)
        .execute();
      expect([...first, ...next].map((e) => e.message)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
      const max = await a.db
        .selectFrom('events')
        .select((e) => e.fn.max('id').as('id'))
        .where('station', '=', 'lab-b')
        .executeTakeFirstOrThrow();
      expect(Number(max.id)).toBeGreaterThan(first[2].id);
    });

    it.runIf(engine === 'sqlite')('FAT_DB names the store; empty it is unset, and a URL of another kind is refused naming it', () => {
      const saved = process.env.FAT_DB;
      try {
        process.env.FAT_DB = '';
        expect(storeUrl(a.home, a.station)).toBe(store.url);
        process.env.FAT_DB = 'postgres://fat@db.lab:5432/fat';
        expect(storeUrl(a.home, a.station)).toBe('postgres://fat@db.lab:5432/fat');
        process.env.FAT_DB = 'mysql://fat@db.lab/fat';
        expect(() => storeUrl(a.home, a.station)).toThrow(
          /FAT_DB = "mysql:\/\/fat@db.lab\/fat": the store is postgres:\/\/user@host:5432\/db or sqlite:FILE/,
        );
      } finally {
        if (saved === undefined) delete process.env.FAT_DB;
        else process.env.FAT_DB = saved;
      }
    });

    it.runIf(engine === 'postgres')('a connection the server drops does not end the process, and the next query works', async () => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(a.db);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
        // until the server has dropped it
        while ((await admin.query('select 1 from pg_stat_activity where pid = $1', [rows[0].pid])).rowCount)
          await new Promise((r) => setTimeout(r, 20));
      } finally {
        await admin.end();
      }
      expect((await latestRun(a))?.station).toBe('lab-a');
    });

    it('users, sessions and tokens work, and a disabled user loses them', async () => {
      await expect(addUser(a, 'shifty', 'password1', 'shifter')).rejects.toThrow(/first user must be an admin/);
      await addUser(a, 'boss', 'password1', 'admin');
      await addUser(b, 'shifty', 'password2', 'shifter'); // users are shared by the stations of one database
      await expect(addUser(a, 'shifty', 'password3', 'shifter')).rejects.toThrow(/exists already/);
      expect(await login(a, 'shifty', 'wrong-password')).toBeUndefined();
      const s = await login(a, 'shifty', 'password2');
      expect(s?.user.role).toBe('shifter');
      expect((await sessionUser(b, s!.token))?.user.name).toBe('shifty');
      const token = await createApiToken(a, 'shifty');
      expect((await tokenUser(a, token))?.name).toBe('shifty');
      await disableUser(a, 'shifty');
      expect(await sessionUser(a, s!.token)).toBeUndefined();
      expect(await tokenUser(a, token)).toBeUndefined();
      expect(await login(a, 'shifty', 'password2')).toBeUndefined();
    });
  });
}

describe('store', () => {
  it('a corrupt JSON column is reported with what it was', () => {
    expect(() => parseJson('{oops', 'check_results.reading of check 7')).toThrow(/check_results.reading of check 7/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Workspace } from '../../src/station/workspace.js';
import { recordResults } from '../../src/records/results.js';
import { recordChecks } from '../../src/records/check-results.js';
import { createSchedule, finishTask, scheduleTasks, startTask } from '../../src/engine/journal.js';
import { acquireLease } from '../../src/engine/lease.js';
import { openPrompt } from '../../src/engine/prompts.js';
import { createStoreSink } from '../../src/notify/store-sink.js';
import { addUser, createApiToken, login } from '../../src/web/users.js';
import { copyStore, sourceName } from '../../src/store/copy.js';
import { openStore, type Db } from '../../src/store/open.js';
import { fat } from '../helpers/fat-cli.js';
import { freshPgSchema, freshStore, workspaceOn, type PgSchema } from '../helpers/pg-schema.js';

/**
 * `fat store copy`: a SQLite station's history goes into PostgreSQL with nothing lost, ids mapped,
 * and a second copy adds nothing.
 */
async function fillStation(ws: Workspace) {
  const run = await ws.db
    .insertInto('runs')
    .values({
      station: ws.station.name,
      run_number: 7,
      comment: 'batch 7',
      date: '2026-11-20',
      operator: 'ana',
      run_file: '/fat/json/run/run_00007.json',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const port of [5000, 5001, 5002]) {
    await ws.db
      .insertInto('modules')
      .values({
        run_id: run.id,
        port,
        wire_pair: 0,
        degg_serial: `DEgg2026-1-${port}`,
        icm_id: `icm${port}`,
        fpga_version: 272,
        software_version: 62,
        flash_id: 'f',
        mainboard_id: 'mb',
        registry: JSON.stringify({ upper_pmt: { serial: `SQ${port}` } }),
        json_file: `/x/${port}.json`,
        state: port === 5002 ? 'excluded' : 'active',
        state_reason: port === 5002 ? 'did not answer' : null,
      })
      .execute();
  }
  const plan = (i: number) => ({ index: i, section: `s${i}`, kind: 'wait_time', params: { pause: i }, runBackup: false, estimateS: 0.25 });
  const sid = await createSchedule(ws, {
    runId: run.id,
    masterKey: 'MasterFAT_00',
    configPath: '/c.ini',
    configHash: 'h',
    archivedPath: '/a.ini',
    tasks: [0, 1, 2].map(plan),
  });
  const tasks = await scheduleTasks(ws, sid);
  await startTask(ws, tasks[0].id, Date.parse('2026-11-20T10:00:00Z'));
  await finishTask(ws, tasks[0].id, 'done', Date.parse('2026-11-20T10:05:00Z'), { result: { n: 1 } });
  await startTask(ws, tasks[1].id, Date.parse('2026-11-20T10:06:00Z'));
  await openPrompt(ws, run.id, tasks[1].id, 'manual_input', 'Open the freezer', Date.parse('2026-11-20T10:06:30Z'));
  await recordResults(ws, { runId: run.id, taskId: tasks[0].id, kind: 'measure_gain', folder: '/data/g' }, [
    { port: 5000, serial: 'DEgg2026-1-5000', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1423.123456789 },
    { port: 5001, serial: 'DEgg2026-1-5001', pmt: 'UpperPmt', name: 'gain.hv1e7', value: 1391.5, detail: { points: [1, 2, 3] } },
  ]);
  await recordChecks(ws, run.id, [
    { check: 'thermometer', subject: 'freezer', reading: '-40.1 °C', tolerance: '±1', verdict: 'pass', message: 'ok' },
  ]);
  const sink = createStoreSink(ws);
  for (let i = 0; i < 5; i++)
    await sink.emit({
      level: 'info',
      kind: 'task.start',
      message: `event ${i}`,
      runId: i % 2 ? run.id : null,
      timeMs: Date.parse('2026-11-20T10:00:00Z') + i,
    });
  await addUser(ws, 'boss', 'password1', 'admin');
  await addUser(ws, 'shifty', 'password2', 'shifter');
  await login(ws, 'shifty', 'password2');
  await createApiToken(ws, 'boss');
  const lease = await acquireLease(ws); // a master holding the station: its lease is not copied
  return lease;
}

/** Every table's rows without their ids, with references replaced by what they point at. */
async function snapshot(db: Db, station: string) {
  const q = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(db)).rows;
  return {
    runs: await q(
      `select station, run_number, comment, date, operator, run_file, created_at from runs where station = '${station}' order by run_number`,
    ),
    modules: await q(
      `select r.run_number, m.port, m.wire_pair, m.degg_serial, m.icm_id, m.fpga_version, m.software_version, m.flash_id, m.mainboard_id, m.registry, m.json_file, m.state, m.state_reason
       from modules m join runs r on r.id = m.run_id where r.station = '${station}' order by m.port`,
    ),
    tasks: await q(
      `select s.master_key, s.state as schedule_state, s.created_at, t.idx, t.section, t.kind, t.params, t.run_backup, t.state, t.attempts, t.estimate_s, t.started_at, t.ended_at, t.progress, t.progress_note, t.error, t.result
       from tasks t join schedules s on s.id = t.schedule_id join runs r on r.id = s.run_id where r.station = '${station}' order by t.idx`,
    ),
    attempts: await q(
      `select t.idx, a.attempt, a.started_at, a.ended_at, a.outcome from task_attempts a join tasks t on t.id = a.task_id order by t.idx, a.attempt`,
    ),
    prompts: await q(
      `select p.station, r.run_number, t.idx, p.kind, p.message, p.opened_at, p.answered_at from prompts p join runs r on r.id = p.run_id join tasks t on t.id = p.task_id where p.station = '${station}'`,
    ),
    results: await q(
      `select r.run_number, t.idx, x.kind, x.port, x.degg_serial, x.pmt, x.name, x.value, x.units, x.verdict, x.reason, x.goalposts_version, x.folder, x.detail, x.provenance, x.created_at
       from results x join runs r on r.id = x.run_id left join tasks t on t.id = x.task_id where x.station = '${station}' order by x.port`,
    ),
    checks: await q(
      `select c.check_name, c.subject, c.reading, c.tolerance, c.verdict, c.message, c.provenance, c.created_at, r.run_number from check_results c left join runs r on r.id = c.run_id where c.station = '${station}'`,
    ),
    events: await q(
      `select e.time, e.level, e.kind, e.message, e.data, r.run_number from events e left join runs r on r.id = e.run_id where e.station = '${station}' order by e.time`,
    ),
    users: await q(`select name, password_hash, role, disabled, created_at from users order by name`),
    sessions: await q(
      `select u.name, s.token_hash, s.csrf_token, s.created_at, s.expires_at from sessions s join users u on u.id = s.user_id`,
    ),
    tokens: await q(`select u.name, t.token_hash, t.created_at from api_tokens t join users u on u.id = t.user_id`),
  };
}

describe('fat store copy', () => {
  let pg: PgSchema;
  let src: { url: string; drop(): Promise<void> };
  let ws: Workspace;
  let lease: Awaited<ReturnType<typeof acquireLease>> | undefined;
  beforeAll(async () => {
    pg = await freshPgSchema('copy');
    src = await freshStore('sqlite', 'copy');
    ws = await workspaceOn(src.url, 'lab-copy');
    lease = await fillStation(ws);
    // the target already holds another station's run 7: it stays, and is not confused with ours
    const other = await workspaceOn(pg.url, 'lab-other');
    await other.db
      .insertInto('runs')
      .values({
        station: 'lab-other',
        run_number: 7,
        comment: 'theirs',
        date: '2026-11-01',
        operator: 'bo',
        run_file: '/fat/json/run/run_00007.json',
      })
      .execute();
    await other.close();
  });
  afterAll(async () => {
    await lease?.release();
    await ws?.close();
    await src?.drop();
    await pg?.drop();
  });

  it('copies every row with references mapped, and a second copy copies nothing', async () => {
    const first = await fat(ws.home.dir, ['store', 'copy', '--to', pg.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^\s*runs\s+1 copied\s+0 skipped$/m);
    expect(first.stdout).toMatch(/^\s*modules\s+3 copied\s+0 skipped$/m);
    expect(first.stdout).toMatch(/^\s*tasks\s+3 copied\s+0 skipped$/m);
    expect(first.stdout).toMatch(/^\s*events\s+5 copied\s+0 skipped$/m);
    expect(first.stdout).toMatch(/^\s*users\s+2 copied\s+0 skipped$/m);
    expect(first.stdout).toMatch(/^\s*leases\s+0 copied\s+1 skipped \(not copied: a lease belongs to the master/m);

    const target = await openStore(pg.url);
    try {
      expect(await snapshot(target, 'lab-copy')).toEqual(await snapshot(ws.db, 'lab-copy'));
      const theirs = await target.selectFrom('runs').select(['comment']).where('station', '=', 'lab-other').execute();
      expect(theirs).toEqual([{ comment: 'theirs' }]);
    } finally {
      await target.destroy();
    }

    const copyAgain = async () => {
      const target = await openStore(pg.url);
      try {
        const r = await copyStore(ws.db, target, await sourceName(ws.db, 'lab-copy'));
        return {
          copied: r.tables.reduce((n, t) => n + t.copied, 0),
          skipped: r.tables.reduce((n, t) => n + t.skipped, 0),
          tables: r.tables,
        };
      } finally {
        await target.destroy();
      }
    };
    const second = await copyAgain();
    expect(second.copied).toBe(0);
    expect(second.skipped).toBeGreaterThan(20);

    // what is new since the first copy is copied, and only that
    const runId = (await ws.db.selectFrom('runs').select('id').executeTakeFirstOrThrow()).id;
    await createStoreSink(ws).emit({
      level: 'warn',
      kind: 'late',
      message: 'after the copy',
      runId,
      timeMs: Date.parse('2026-11-21T00:00:00Z'),
    });
    const third = await copyAgain();
    expect(third.copied).toBe(1);
    expect(third.tables.find((t) => t.table === 'events')?.copied).toBe(1);
    const again = await openStore(pg.url);
    try {
      expect(await snapshot(again, 'lab-copy')).toEqual(await snapshot(ws.db, 'lab-copy'));
    } finally {
      await again.destroy();
    }
  }, 55_000);

  it('another store of the same station with the same run number is refused, not merged', async () => {
    const other = await freshStore('sqlite', 'copy-other');
    const ws2 = await workspaceOn(other.url, 'lab-copy');
    try {
      // a reinstalled station PC: a new store, begun later, whose run 7 is another batch
      await sql`update stations set created_at = '2027-01-01 00:00:00' where name = 'lab-copy'`.execute(ws2.db);
      await ws2.db
        .insertInto('runs')
        .values({ station: 'lab-copy', run_number: 7, comment: 'another batch', date: '2027-01-02', operator: 'bo', run_file: '/x.json' })
        .execute();
      const target = await openStore(pg.url);
      try {
        await expect(copyStore(ws2.db, target, await sourceName(ws2.db, 'lab-copy'))).rejects.toThrow(
          /runs: the target already has station = lab-copy, run_number = 7, not copied from this store; copying would merge two different runs/,
        );
        const runs = await target.selectFrom('runs').select('comment').where('station', '=', 'lab-copy').execute();
        expect(runs).toEqual([{ comment: 'batch 7' }]);
      } finally {
        await target.destroy();
      }
    } finally {
      await ws2.close();
      await other.drop();
    }
  });
});

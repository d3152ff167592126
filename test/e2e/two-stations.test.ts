import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { sendAnalysisJob } from '../../src/store/job-queue.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import { spawnFat, writeSchedule, type Background } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { PG_URL, pgDatabaseUrl } from '../helpers/pg-schema.js';

/**
 * Two stations on one PostgreSQL: two masters drive two simulated labs, their trigger_remote_wrapper
 * analyses become pg-boss jobs, and `fat worker` processes run them. The first worker is killed
 * (SIGKILL) after its job wrote its results but before the queue heard of it: the job expires, is
 * retried by another worker, and the results are there once, not twice. One `fat serve` lists both
 * stations; `fat jobs` shows a failed job with its error and re-queues it.
 */
const ADMIN = PG_URL;
const DB = `icefat_two_${process.pid}_${Date.now().toString(36)}`;
const URL = pgDatabaseUrl(DB);
const STATIONS = ['freezer-a', 'freezer-b'] as const;
const EXPIRE_S = 12;

type Lab = Awaited<ReturnType<typeof labWithHome>>;

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('two stations on one PostgreSQL with analysis workers', () => {
  const labs: Lab[] = [];
  const procs: Background[] = [];
  let admin: pg.Client;
  let db: pg.Client;
  const saved = { ...process.env };

  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];

  beforeAll(async () => {
    admin = new pg.Client(ADMIN);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
    // every fat process of this file (masters, workers, CLI) inherits these
    process.env.FAT_DB = URL;
    process.env.FAT_JOB_EXPIRE_S = String(EXPIRE_S);
    process.env.FAT_JOB_RETRY_DELAY_S = '0';
    for (const [i, base] of [TEST_PORTS.twoStationsA, TEST_PORTS.twoStationsB].entries()) {
      // seeds 7 and 8: 32 D-Egg serials, none twice (the simulator draws serials at random)
      const lab = await labWithHome(base, { timeScale: 1000, seed: 7 + i });
      const file = `${lab.dir}/station.toml`;
      allowSlowDomnet(lab.dir, 240);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^name = .*$/m, `name = "${STATIONS[i]}"`));
      labs.push(lab);
    }
    // a loaded machine (CI runs e2e files side by side) starts DomNet slowly: a patient setup
    await Promise.all(
      labs.map(async (l) => {
        for (const args of [['setup'], ['run', 'new', '--comment', 'two stations']]) {
          const r = await fat(l.dir, args, {}, 300_000);
          expect(r.code, `fat ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
        }
      }),
    );
    db = new pg.Client(URL);
    await db.connect();
  }, 660_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(labs.map((l) => l.close().catch(() => undefined)));
    await db?.end().catch(() => undefined);
    process.env = saved;
    await admin?.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
  }, 60_000);

  const worker = (home: string, env: Record<string, string> = {}) => {
    const w = spawnFat(home, ['worker', '--poll-s', '1', '--maintenance-s', '1'], env);
    procs.push(w);
    return w;
  };
  const workerName = (w: Background) => `${os.hostname()}:${w.child.pid}`;

  it('both runs complete; every analysis has one set of results though a worker died mid-job', async () => {
    // the first worker holds every job after writing its results, until it is killed
    const doomed = worker(labs[0].dir, { FAT_WORKER_HOLD_MS: '600000' });
    await waitFor(
      'the first worker to listen',
      () => {
        if (doomed.child.exitCode !== null) throw new Error(`fat worker exited: ${doomed.output()}`);
        return /worker .* at a time/.test(doomed.output());
      },
      120_000,
    );

    const masters = labs.map((l, i) => {
      const ini = writeSchedule(l.dir, 'fat', [
        { name: 'measure_scaler_0', task: 'measure_scaler', n_runs: 20, n_jobs: 4 },
        { name: 'trigger_remote_wrapper_darkrate_0', task: 'trigger_remote_wrapper', analysis: 'darkrate' },
        { name: 'trigger_remote_wrapper_linearity_0', task: 'trigger_remote_wrapper', analysis: 'linearity' },
      ]);
      const m = spawnFat(l.dir, ['master', ini]);
      procs.push(m);
      return { m, station: STATIONS[i] };
    });

    // the doomed worker wrote a job's results and holds it: kill it there
    const held = await waitFor(
      'the first worker to finish writing a job',
      async () => {
        const r = await q<{ data: { jobId: string; worker: string } }>(
          `SELECT data::json AS data FROM events WHERE kind LIKE 'analysis.%' AND kind <> 'analysis.queued' AND data::json->>'worker' = $1`,
          [workerName(doomed)],
        );
        return r[0]?.data.jobId;
      },
      90_000,
      250,
    );
    doomed.child.kill('SIGKILL');
    await doomed.done;
    const workers = [worker(labs[1].dir), worker(labs[0].dir)];

    for (const { m } of masters) {
      const r = await m.done;
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    // 2 stations x 2 analyses, each queued once
    const jobs = await waitFor(
      'every analysis job to complete',
      async () => {
        const rows = await q<{ id: string; state: string; data: { station: string; taskId: number; analysis: string } }>(
          `SELECT id, state, data FROM pgboss.job WHERE name = 'fat-analysis' UNION ALL SELECT id, state, data FROM pgboss.archive WHERE name = 'fat-analysis'`,
        );
        return rows.length === 4 && rows.every((j) => j.state === 'completed') ? rows : undefined;
      },
      EXPIRE_S * 1000 + 60_000,
      500,
    );
    expect(jobs.map((j) => `${j.data.station} ${j.data.analysis}`).sort()).toEqual([
      'freezer-a darkrate',
      'freezer-a linearity',
      'freezer-b darkrate',
      'freezer-b linearity',
    ]);

    // starts per job: the held one twice (the doomed worker, then another), every other once
    const starts = await q<{ job: string; worker: string }>(
      `SELECT data::json->>'jobId' AS job, data::json->>'worker' AS worker FROM events WHERE kind = 'job.start'`,
    );
    for (const j of jobs) {
      const s = starts.filter((x) => x.job === j.id);
      if (j.id === held) {
        expect(s.map((x) => x.worker)).toHaveLength(2);
        expect(s[0].worker).toBe(workerName(doomed));
        expect(workers.map(workerName)).toContain(s[1].worker);
      } else expect(s, `job ${j.id} (${j.data.station} ${j.data.analysis})`).toHaveLength(1);
    }

    // results: one dark rate per PMT and station, from the job's task, none twice
    for (const station of STATIONS) {
      const task = jobs.find((j) => j.data.station === station && j.data.analysis === 'darkrate')!.data.taskId;
      const rows = await q<{ port: number; degg_serial: string; pmt: string; name: string; station: string }>(
        `SELECT port, degg_serial, pmt, name, station FROM results WHERE task_id = $1 AND kind = 'trigger_remote_wrapper'`,
        [task],
      );
      expect(rows, station).toHaveLength(32);
      expect(new Set(rows.map((r) => `${r.port} ${r.pmt}`)).size).toBe(32);
      expect(new Set(rows.map((r) => r.degg_serial)).size).toBe(16);
      expect(rows.every((r) => r.station === station && /^darkrate(_adc)?\.(cold|mid|warm)$/.test(r.name))).toBe(true);
      // the task's result is the analysis the worker wrote, as the in-process path writes it
      const [t] = await q<{ result: string; state: string }>(`SELECT result, state FROM tasks WHERE id = $1`, [task]);
      expect(t.state).toBe('done');
      expect(JSON.parse(t.result)).toMatchObject({ analysis: 'darkrate', status: 'analysed', problems: [] });
      const lin = jobs.find((j) => j.data.station === station && j.data.analysis === 'linearity')!.data.taskId;
      const [tl] = await q<{ result: string }>(`SELECT result FROM tasks WHERE id = $1`, [lin]);
      expect(JSON.parse(tl.result)).toMatchObject({ analysis: 'linearity', status: 'nothing-to-analyse' });
    }
    // the event of each analysis is in its station's stream
    const analysed = await q<{ station: string }>(`SELECT station FROM events WHERE kind = 'analysis.analysed'`);
    expect(analysed.filter((e) => e.station === 'freezer-a').length).toBeGreaterThanOrEqual(1);
    expect(analysed.filter((e) => e.station === 'freezer-b').length).toBeGreaterThanOrEqual(1);

    // fat jobs lists them completed
    const listed = await fat(labs[0].dir, ['jobs', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const lj = JSON.parse(listed.stdout) as Array<{ id: string; state: string }>;
    expect(
      lj
        .filter((j) => j.state === 'completed')
        .map((j) => j.id)
        .sort(),
    ).toEqual(jobs.map((j) => j.id).sort());
  }, 420_000);

  it('fat serve on the shared store shows both stations; a failed job is listed with its error and retried', async () => {
    let ws: Workspace | undefined;
    let server: RunningServer | undefined;
    try {
      ws = await openWorkspace(labs[0].dir);
      server = await startServer(ws, '127.0.0.1', 0);
      const base = `http://127.0.0.1:${server.port}`;
      const st = (await (await fetch(`${base}/api/stations`)).json()) as {
        stations: Array<{
          name: string;
          here: boolean;
          run: { number: number } | null;
          schedule: { state: string; done: number; total: number } | null;
        }>;
      };
      expect(st.stations.map((s) => s.name)).toEqual(['freezer-a', 'freezer-b']);
      for (const s of st.stations) {
        expect(s.run?.number, s.name).toBe(1);
        expect(s.schedule).toMatchObject({ state: 'completed', done: 3, total: 3 });
      }
      expect(st.stations.find((s) => s.here)?.name).toBe('freezer-a');

      // a job naming a task that does not exist fails at once (no retries) with that in its error
      const [runB] = await q<{ id: number }>(`SELECT id FROM runs WHERE station = 'freezer-b'`);
      const bad = await sendAnalysisJob(
        URL,
        { station: 'freezer-b', home: labs[1].dir, runId: runB.id, taskId: 999_999, analysis: 'darkrate', number: 'latest' },
        { retryLimit: 0, retryDelayS: 0, expireInS: 60 },
      );
      const failed = await waitFor(
        'the bad job to fail',
        async () => {
          const r = (await (await fetch(`${base}/api/jobs?failed=1`)).json()) as { jobs: Array<{ id: string; error: string }> };
          return r.jobs.find((j) => j.id === bad.id);
        },
        60_000,
        500,
      );
      expect(failed.error).toContain('no task with id 999999');
      const human = await fat(labs[1].dir, ['jobs', '--failed']);
      expect(human.stdout).toContain(bad.id);
      expect(human.stdout).toMatch(/error: .*no task with id 999999/);
      const anon = await fetch(`${base}/api/jobs/${bad.id}/retry`, { method: 'POST' });
      expect(anon.status).toBe(401);

      const again = await fat(labs[1].dir, ['jobs', 'retry', bad.id]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`job ${bad.id} is queued again`);
      // the refusals of a retry (not failed, not an id) are test/store/job-queue.test.ts
    } finally {
      await server?.close();
      await ws?.close();
    }
  }, 180_000);
});

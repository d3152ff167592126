/**
 * The store on both engines, with the same data: a year of runs (26 runs of
 * bench/lib/year-of-runs.ts, ~110 k result rows) written into a fresh SQLite file and into a
 * fresh PostgreSQL database, then
 *  - monitoring inserts: batches shaped like constant_monitor over 16 D-Eggs (per PMT the SPE
 *    charge, the dark rate and the Δt rate, per module the pressure: 112 samples), each recorded
 *    the way the master records a monitoring task of one iteration (max_i = 1, as most of the
 *    standard FAT's): the task begun (journal.startTask, not timed), then, timed, its samples staged
 *    on its `TaskRecord` (`samples`: judged, then one packed row per module, records/samples.ts,
 *    as tasks/monitor-common.ts stages them), committed with the task's end and its result in one
 *    transaction (journal.finishTask, as engine/task-runner.ts ends a task), and its `task.done`
 *    event written as the notifier's store lane writes it (`emitMany` of the store sink, its own
 *    statement), into a task of the latest run. The master never commits a monitoring iteration
 *    of its own nor an event per iteration: a task's samples, all its iterations, commit with its
 *    end. Left out: the task's entries in the D-Egg documents (what the documents cost, not the
 *    samples), a year's task attempts (the generator ends its tasks without the journal; closing
 *    an attempt reads them by task, migration 0016), and that the master does not wait for the event (the lane writes it while the next
 *    task begins): here it is waited for, batch after batch. Samples per second, and this
 *    process's CPU time per batch (the wall time also holds the server's work, fsyncs and other
 *    processes' load). The reference, batch for batch in turn with them: the same batches as
 *    result rows (`TaskRecord.results`, the INSERT of `recordResults`: a row per sample in
 *    `results`), committed and announced the same way, deleted again afterwards; and in turn with
 *    both, the same task's end and event with nothing measured (`taskEndAlone`): what of a batch is
 *    not the samples' (the task's row with its result, ~7 kB of summary, and the event, which
 *    carries the result again);
 *  - the module-history query of the module page (GET /api/modules/:serial,
 *    src/report/module-history.ts: every run of one D-Egg with its results, verdict and gain
 *    curves) and `fat results --module`'s query of one run (runResults); milliseconds per query
 *    over many modules, with each engine's query plans;
 * and the ratio PostgreSQL / SQLite of each figure. SQLite is the in-run reference. Both stores are
 * opened as the master opens its own (SQLite's WAL checkpoints in a worker, store/sqlite-checkpointer.ts).
 *
 * PostgreSQL: $FAT_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test); the benchmark
 * creates a database of its own on that server and drops it at the end. Without a reachable
 * server it reports SQLite alone and says why.
 *
 *   tsx bench/store.ts [--runs N] [--batches N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledQuery } from 'kysely';
import pg from 'pg';
import { ensureHome, openWorkspace, type Workspace } from '../src/station/workspace.js';
import { finishTask, startTask } from '../src/engine/journal.js';
import { TaskRecord } from '../src/records/task-record.js';
import { latestRun } from '../src/station/runs.js';
import { moduleHistory } from '../src/report/module-history.js';
import { runResults } from '../src/records/verdicts.js';
import { createStoreSink } from '../src/notify/store-sink.js';
import { fillYear, HandClock, MODULES_PER_RUN, rng, serialOf } from './lib/year-of-runs.js';

const PG_SERVER = process.env.FAT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

function flag(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const i = process.argv.indexOf(`--${name}`);
  const raw = a ? a.slice(name.length + 3) : i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`bench/store.ts: --${name} needs a positive integer, got ${raw}`);
  return v;
}

interface Store {
  engine: 'sqlite' | 'postgres';
  dir: string;
  drop(): Promise<void>;
}

async function sqliteStore(): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-store-sqlite-'));
  ensureHome(dir);
  return { engine: 'sqlite', dir, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A database of its own on the server (not a schema: kysely's migrator looks for its tables in every schema). */
async function postgresStore(): Promise<Store> {
  const name = `icefat_bench_store_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_SERVER, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-store-pg-'));
  const home = ensureHome(dir);
  const toml = fs.readFileSync(home.stationFile, 'utf8');
  if (!toml.includes('url = "sqlite:fat.db"')) throw new Error(`bench/store.ts: ${home.stationFile} has no [store] url line to replace`);
  fs.writeFileSync(home.stationFile, toml.replace('url = "sqlite:fat.db"', `url = ${JSON.stringify(url.toString())}`));
  return {
    engine: 'postgres',
    dir,
    drop: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_SERVER });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const r3 = (x: number) => Number(x.toPrecision(3));

/** One iteration of constant_monitor over the run's 16 modules: the rows it records and the summary it returns. */
function monitoringBatch(serials: string[], r: ReturnType<typeof rng>, iteration: number) {
  const rows = [];
  const pmts = [];
  for (const [port, serial] of serials.entries()) {
    for (const pmt of ['LowerPmt', 'UpperPmt']) {
      const at = { port, serial, pmt };
      const temperatureC = r.around(-30, 5);
      const hvVolts = 1500;
      const peakPc = r.around(1.6, 0.15);
      const darkRateHz = r.around(2000, 800);
      rows.push(
        { ...at, name: 'monitor.spe_charge', value: peakPc, detail: { hvVolts, gain: 1e7, iteration } },
        { ...at, name: 'darkrate.cold', value: darkRateHz, detail: { temperatureC, iteration } },
        { ...at, name: 'dt.rate', value: r.around(2500, 800), detail: { correlatedFraction: 0.05 } },
      );
      pmts.push({
        ...at,
        iteration,
        hvVolts,
        temperatureC,
        peakPc,
        darkRateHz,
        key: `AdvancedMonitoring_${String(iteration).padStart(2, '0')}`,
      });
    }
    rows.push({ port, serial, name: 'monitor.pressure', value: r.around(450, 50), detail: { iteration } });
  }
  return { rows, pmts };
}

/**
 * How the engine runs the two queries of the module page's history (src/report/module-history.ts:
 * the runs of a serial, then runResults of each run for that serial; written again here for
 * EXPLAIN): do they use an index on the serial?
 */
async function queryPlans(ws: Workspace, engine: Store['engine'], serial: string, runId: number): Promise<Record<string, string[]>> {
  const explain = async (q: CompiledQuery) => {
    const res = await ws.db.executeQuery<Record<string, unknown>>({
      ...q,
      sql: (engine === 'sqlite' ? 'explain query plan ' : 'explain ') + q.sql,
    });
    return res.rows.map((row) => {
      const line = row.detail ?? row['QUERY PLAN'];
      return typeof line === 'string' ? line : JSON.stringify(row);
    });
  };
  const runsOfSerial = ws.db
    .selectFrom('runs')
    .innerJoin('modules', 'modules.run_id', 'runs.id')
    .select(['runs.id', 'runs.run_number', 'runs.comment', 'runs.date', 'runs.operator'])
    .where('runs.station', '=', ws.station.name)
    .where('modules.degg_serial', '=', serial)
    .orderBy('runs.run_number', 'desc')
    .compile();
  const resultsOfRun = ws.db
    .selectFrom('results')
    .selectAll()
    .where('run_id', '=', runId)
    .where('degg_serial', '=', serial)
    .orderBy('id')
    .compile();
  return { runsOfSerial: await explain(runsOfSerial), resultsOfSerialInRun: await explain(resultsOfRun) };
}

async function measure(store: Store, runs: number, batches: number) {
  const clock = new HandClock(Date.now());
  const ws = await openWorkspace(store.dir, clock, { checkpointInBackground: true });
  try {
    const t = performance.now();
    const year = await fillYear(ws, clock, runs);
    const fillS = (performance.now() - t) / 1000;

    // monitoring tasks: the running task of the latest run, begun again for every batch
    const run = (await latestRun(ws))!;
    const task = await ws.db
      .selectFrom('tasks')
      .innerJoin('schedules', 'schedules.id', 'tasks.schedule_id')
      .select(['tasks.id', 'tasks.idx', 'tasks.section'])
      .where('schedules.run_id', '=', run.id)
      .where('tasks.state', '=', 'running')
      .executeTakeFirstOrThrow();
    const serials = Array.from({ length: MODULES_PER_RUN }, (_, p) => serialOf(runs - 1, p));
    // the store lane of the master's notifier writes a turn's events with this (notify/index.ts)
    const sink = createStoreSink(ws);
    const emitMany = sink.emitMany?.bind(sink);
    if (!emitMany) throw new Error('bench/store.ts: the store sink no longer writes events together (emitMany)');
    const r = rng(7);
    // the samples are made before the clock starts: what is timed is the store's work, not the generator's
    const made = Array.from({ length: batches }, (_, i) => monitoringBatch(serials, r, i));
    const taskId = Number(task.id);
    const folder = '/data/constant_monitor';
    type Batch = (typeof made)[number];
    /** the task's end as engine/task-runner.ts makes it: its record with its end, then its task.done event */
    const endTask = async (record: TaskRecord, b: Batch) => {
      const result = { folder, pmts: b.pmts, failures: [] };
      await finishTask(ws, taskId, 'done', clock.now(), { result, record });
      await emitMany([
        {
          level: 'info',
          kind: 'task.done',
          message: `[${task.idx}] ${task.section} done`,
          audience: 'log',
          data: { taskId, result },
          timeMs: clock.now(),
          runId: run.id,
        },
      ]);
    };
    const asSamples = async (b: Batch) => {
      const record = new TaskRecord(ws, { runId: run.id, taskId });
      await record.samples('constant_monitor', folder, b.rows);
      await endTask(record, b);
    };
    const asResultRows = async (b: Batch) => {
      const record = new TaskRecord(ws, { runId: run.id, taskId });
      await record.results('constant_monitor', folder, b.rows);
      await endTask(record, b);
    };
    // what the task's end and its event cost without anything measured: the part of a batch that is not the samples'
    const taskEndAlone = (b: Batch) => endTask(new TaskRecord(ws, { runId: run.id, taskId }), b);
    const ways = { samples: asSamples, resultRows: asResultRows, taskEndAlone };
    const spent = Object.fromEntries(
      Object.keys(ways).map((k) => [k, { wallMs: 0, cpuUs: 0, batchMs: [] as number[], samples: 0 }]),
    ) as Record<keyof typeof ways, { wallMs: number; cpuUs: number; batchMs: number[]; samples: number }>;
    for (let i = 0; i < batches; i++)
      for (const [way, write] of Object.entries(ways) as Array<[keyof typeof ways, (b: Batch) => Promise<void>]>) {
        const b = made[i];
        await startTask(ws, taskId, clock.now());
        const c0 = process.cpuUsage();
        const b0 = performance.now();
        await write(b);
        const ms = performance.now() - b0;
        const c = process.cpuUsage(c0);
        const x = spent[way];
        x.wallMs += ms;
        x.cpuUs += c.user + c.system;
        x.batchMs.push(ms);
        if (way !== 'taskEndAlone') x.samples += b.rows.length;
      }
    const figures = (x: (typeof spent)[keyof typeof spent]) => ({
      batches,
      rowsPerBatch: x.samples / batches,
      samplesPerS: r3(x.samples / (x.wallMs / 1000)),
      batchMsMedian: r3(median(x.batchMs)),
      cpuMsPerBatch: r3(x.cpuUs / 1000 / batches),
    });
    // the reference's rows go again, so the queries below read the store as the monitoring task leaves it
    await ws.db
      .deleteFrom('results')
      .where('run_id', '=', run.id)
      .where('task_id', '=', taskId)
      .where('kind', '=', 'constant_monitor')
      .execute();

    // the module-history query over modules from the whole year, each queried 3 times
    const picks = Array.from({ length: 40 }, (_, i) => serialOf(Math.floor((i * runs) / 40), (i * 5) % MODULES_PER_RUN));
    picks.push(year.retestedSerial);
    await moduleHistory(ws, picks[0]); // warm-up
    const historyMs: number[] = [];
    let historyRows = 0;
    for (let k = 0; k < 3; k++)
      for (const s of picks) {
        const q0 = performance.now();
        historyRows += (await moduleHistory(ws, s))!.runs.reduce((n, x) => n + x.results.length, 0);
        historyMs.push(performance.now() - q0);
      }
    const retested = (await moduleHistory(ws, year.retestedSerial))!;

    // fat results --module: one module's rows of one run
    const moduleRunMs: number[] = [];
    for (let k = 0; k < 3; k++)
      for (const s of serials) {
        const q0 = performance.now();
        await runResults(ws, run.id, s);
        moduleRunMs.push(performance.now() - q0);
      }

    const total = await ws.db
      .selectFrom('results')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const packed = await ws.db
      .selectFrom('monitoring_samples')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return {
      engine: store.engine,
      resultRows: Number(total.n),
      monitoringSampleRows: Number(packed.n),
      fill: { seconds: r3(fillS), rowsPerS: r3(year.results / fillS) },
      monitoringInserts: {
        ...figures(spent.samples),
        asResultRows: figures(spent.resultRows),
        taskEndAlone: {
          batchMsMedian: r3(median(spent.taskEndAlone.batchMs)),
          msPerBatch: r3(spent.taskEndAlone.wallMs / batches),
          cpuMsPerBatch: r3(spent.taskEndAlone.cpuUs / 1000 / batches),
        },
        samplesOverResultRows: {
          samplesPerS: Number((spent.resultRows.wallMs / spent.samples.wallMs).toFixed(2)),
          cpuMsPerBatch: Number((spent.samples.cpuUs / spent.resultRows.cpuUs).toFixed(2)),
        },
      },
      moduleHistory: {
        queries: historyMs.length,
        rowsPerQuery: Math.round(historyRows / historyMs.length),
        msMedian: r3(median(historyMs)),
        msMax: r3(Math.max(...historyMs)),
        retestedModule: {
          serial: year.retestedSerial,
          rows: retested.runs.reduce((n, x) => n + x.results.length, 0),
          runs: retested.runs.length,
        },
        plans: await queryPlans(ws, store.engine, year.retestedSerial, Number(retested.runs[0].run.id)),
      },
      resultsOfModuleInRun: { queries: moduleRunMs.length, msMedian: r3(median(moduleRunMs)) },
    };
  } finally {
    await ws.close();
  }
}

async function main() {
  const runs = flag('runs', 26);
  const batches = flag('batches', 60);
  const sqliteStoreDir = await sqliteStore();
  let lite;
  try {
    lite = await measure(sqliteStoreDir, runs, batches);
  } finally {
    await sqliteStoreDir.drop();
  }
  let pgResult: Awaited<ReturnType<typeof measure>> | undefined;
  let pgError: string | undefined;
  let pgStore: Store | undefined;
  try {
    pgStore = await postgresStore();
  } catch (e) {
    pgError = `PostgreSQL at ${PG_SERVER} not reachable: ${(e as Error).message}`;
  }
  if (pgStore) {
    try {
      pgResult = await measure(pgStore, runs, batches);
    } finally {
      await pgStore.drop();
    }
  }
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  console.log(
    JSON.stringify({
      benchmark: 'store',
      sqlite: lite,
      ...(pgResult ? { postgres: pgResult } : { postgres: { skipped: pgError } }),
      ...(pgResult
        ? {
            postgresOverSqlite: {
              monitoringSamplesPerS: ratio(pgResult.monitoringInserts.samplesPerS, lite.monitoringInserts.samplesPerS),
              moduleHistoryMs: ratio(pgResult.moduleHistory.msMedian, lite.moduleHistory.msMedian),
              resultsOfModuleInRunMs: ratio(pgResult.resultsOfModuleInRun.msMedian, lite.resultsOfModuleInRun.msMedian),
              fillRowsPerS: ratio(pgResult.fill.rowsPerS, lite.fill.rowsPerS),
            },
          }
        : {}),
      loadAverage: os.loadavg().map((x) => r3(x)),
      note: 'same data on both engines (deterministic generator); ratios > 1 for samples/s mean PostgreSQL is faster, > 1 for ms mean it is slower',
    }),
  );
}

await main();

/**
 * The master's overhead per task: a schedule of N zero-length `wait_time` tasks run by the real
 * engine (journal transactions, run-file updates, events to the store and run log) against the
 * simulated lab, compared with the original's per-task bookkeeping (load, update and rewrite the
 * run JSON, as fat_master.run_schedule did after every task) measured in Python on the same
 * machine in the same run. Also the peak memory of the master: the master runs in a process of its
 * own from a compiled bundle (bench/lib/engine-master.ts, built here with esbuild as `fat` is), and
 * the simulated lab in another (`fat sim start`), whose peak is reported beside it. The whole
 * standard schedule is bench/standard-fat.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_HEAP_ARGS } from '../src/util/node-heap.js';

const N = Number(process.argv.find((a) => a.startsWith('--tasks='))?.slice(8) ?? 200);
if (!Number.isInteger(N) || N < 2) throw new Error(`--tasks=N needs a whole number of at least 2, got ${N}`);
const FAT = fileURLToPath(new URL('../bin/fat.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * bench/lib/engine-master.ts compiled to one file under dist/ (so its packages resolve from the
 * repository's node_modules); packages stay outside the bundle.
 */
async function buildMaster(): Promise<string> {
  // one file per bench process: two benches at once must not write each other's bundle
  const outfile = path.join(ROOT, 'dist', 'bench', `engine-master-${process.pid}.mjs`);
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['bench/lib/engine-master.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

interface MasterResult {
  totalMs: number;
  state: string;
  message: string;
  peakRssMB: number;
}

/** $BENCH_MASTER_NODE_ARGS go to the master's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it. */
function runMasterProcess(bundle: string, home: string, ini: string): MasterResult {
  const nodeArgs = (process.env.BENCH_MASTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const out = execFileSync(process.execPath, [...NODE_HEAP_ARGS, ...nodeArgs, bundle, home, ini], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`the master printed no result:\n${out}`);
  return JSON.parse(line) as MasterResult;
}

/** `fat sim start` in a child process; resolves once it serves (it prints "Press Ctrl+C to stop."). */
async function startLabProcess(home: string, basePort: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [FAT, '--home', home, 'sim', 'start', '--seed', '3', '--base-port', String(basePort), '--time-scale', '1000', '--domnet', 'auto'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the simulated lab did not start within 120 s:\n${out}`));
    }, 120_000);
    const seen = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulated lab exited (${code}) before it served:\n${out}`));
    });
  });
  return child;
}

/**
 * Wall time from the first task's start to the last task's end, from the journal: its times are lab
 * time, which runs at the schedule's clock scale over wall time (1000 here, so 1 µs resolution).
 */
async function taskLoopWallMs(home: string, runId: number): Promise<number> {
  const { openWorkspace } = await import('../src/station/workspace.js');
  const ws = await openWorkspace(home);
  try {
    const r = await ws.db
      .selectFrom('tasks')
      .innerJoin('schedules', 'schedules.id', 'tasks.schedule_id')
      .select((eb) => [
        eb.fn.min('tasks.started_at').as('first'),
        eb.fn.max('tasks.ended_at').as('last'),
        eb.fn.max('schedules.clock_scale').as('scale'),
      ])
      .where('schedules.run_id', '=', runId)
      .executeTakeFirstOrThrow();
    const scale = Number(r.scale);
    if (!r.first || !r.last || !(scale > 0)) throw new Error(`the journal of run ${runId} has no task times on a scaled clock`);
    return (Date.parse(String(r.last)) - Date.parse(String(r.first))) / scale;
  } finally {
    await ws.close();
  }
}

/** The peak resident memory of a live process, from /proc (VmHWM), in MB; undefined elsewhere. */
function peakRssOf(pid: number | undefined): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function stopLabProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

async function main() {
  const { openWorkspace } = await import('../src/station/workspace.js');
  const { createRun } = await import('../src/fat/run-new.js');
  const bundle = await buildMaster();

  const basePort = Number(process.env.BENCH_BASE_PORT ?? 28000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-engine-'));
  // the lab writes the station and registry files of the home, as for a person trying icefat out
  const lab = await startLabProcess(dir, basePort).catch((e: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(bundle, { force: true });
    throw e;
  });
  try {
    const ws = await openWorkspace(dir);
    const run = await createRun(ws, { comment: 'engine bench' }).finally(() => ws.close());
    const ini = ['[constants]', `run_file = ${run.runFile}`, ''];
    for (let i = 0; i < N; i++) ini.push(`[wait_time_${i}]`, 'task = wait_time', 'pause = 0', '');
    const file = path.join(dir, 'bench.ini');
    fs.writeFileSync(file, ini.join('\n'));

    const master = runMasterProcess(bundle, dir, file);
    if (master.state !== 'completed') throw new Error(`the bench schedule did not complete: ${master.message}`);
    const loopMs = await taskLoopWallMs(dir, run.runId);

    // the original's bookkeeping per task, on a run file of the same size, in Python
    const py = `
import json, time, sys
f = sys.argv[1]; n = int(sys.argv[2])
t0 = time.perf_counter()
for i in range(n):
    d = json.load(open(f))
    d.setdefault('MasterFAT_99', {})['[%d] wait_time_%d' % (i, i)] = 1
    json.dumps(d)
    with open(f, 'w') as fh: json.dump(d, fh, indent=4)
print(json.dumps({'seconds': time.perf_counter() - t0}))`;
    const copy = path.join(dir, 'run_copy.json');
    fs.copyFileSync(run.runFile, copy);
    const ref = JSON.parse(execFileSync('python3', ['-c', py, copy, String(N)], { encoding: 'utf8' })) as { seconds: number };

    const labPeak = peakRssOf(lab.pid);
    const perTaskMs = loopMs / (N - 1);
    const refPerTaskMs = (ref.seconds * 1000) / N;
    const r3 = (x: number) => Number(x.toFixed(3));
    console.log(
      JSON.stringify({
        benchmark: 'engine',
        tasks: N,
        icefatPerTaskMs: r3(perTaskMs),
        referencePerTaskMs: r3(refPerTaskMs),
        ratio: Number((perTaskMs / refPerTaskMs).toFixed(2)),
        wholeRunPerTaskMs: r3(master.totalMs / N),
        onceMs: Math.round(master.totalMs - loopMs),
        note:
          'icefat per task: from the first task start to the last task end in the journal (lab time over the time scale, so wall time), over N-1: journal transactions, run-file export, events to store and run log, operator requests, conditions check (2 humidity reads and the freezer air, at most once a lab minute); ' +
          'wholeRunPerTaskMs: the whole runMaster over N, with what is done once (onceMs: the schedule into the store, the connectivity test of 16 D-Eggs, the safe state at the end); reference: the original rewriting the run JSON once per task',
        masterPeakRssMB: Number(master.peakRssMB.toFixed(1)),
        labPeakRssMB: labPeak === undefined ? null : Number(labPeak.toFixed(1)),
        rssNote: 'peak RSS of each process: the master (compiled, as fat runs) and the simulated lab (`fat sim start`) run apart',
      }),
    );
  } finally {
    await stopLabProcess(lab);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(bundle, { force: true });
  }
}

await main();

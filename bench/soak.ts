/**
 * Soak: the monitoring loop of the real schedule (the standard template's online_mon, quick
 * monitoring, reboot, slowmon, gain-scan monitoring and status check, as in its cold phases)
 * repeated for a simulated week, run by `fat master` as a process of its own against the
 * simulated lab in another process on virtual time (`fat sim start --virtual-time`). Every 100
 * tasks the master's heap after a full GC is read through its inspector (HeapProfiler.
 * collectGarbage, Runtime.getHeapUsage); printed with the slope over the last 500 tasks and the
 * master's peak RSS.
 *
 * Crash: unless --no-kill, the master is killed with SIGKILL once `--kill-at` (default 40%) of the
 * tasks are done, and `fat master --recover` finishes the run; the bench then checks in the store
 * that every task is done and has exactly one successful attempt, and exits non-zero otherwise.
 *
 *   tsx bench/soak.ts [--days 7] [--kill-at 0.4 | --no-kill]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fatBin = path.join(root, 'bin/fat.js');

/** The loop, by task kind and section name, as the standard template writes it. */
const LOOP = ['online_mon', 'trigger_remote_wrapper', 'bootmon', 'slowmon', 'trigger_remote_wrapper', 'status_check'];
/** event counts of the loop's measurements: [here, the original's] (the simulator's CPU is not what is soaked) */
const SCALED: Record<string, Record<string, [number, number]>> = {
  slowmon: { n_gain_events: [200, 30000], n_check_events: [200, 20000] },
};

function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number, got ${process.argv[i + 1]}`);
  return v;
}

interface Section {
  name: string;
  kind: string;
  body: string[];
}

function sections(ini: string): Section[] {
  const out: Section[] = [];
  for (const line of ini.split('\n')) {
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.push({ name: head[1], kind: '', body: [] });
    else if (out.length) {
      const cur = out[out.length - 1];
      const kind = /^task = (\w+)$/.exec(line)?.[1];
      if (kind) cur.kind = kind;
      const key = /^(\w+) = /.exec(line)?.[1];
      if (!(key && SCALED[cur.kind]?.[key])) cur.body.push(line);
      if (kind && SCALED[kind]) for (const [k, [v]] of Object.entries(SCALED[kind])) cur.body.push(`${k} = ${v}`);
    }
  }
  return out;
}

/** the standard template's first reboot loop: the sections around its first `bootmon_N_reboot` */
function monitoringLoop(all: Section[]): Section[] {
  const i = all.findIndex((s) => /^bootmon_\d+_reboot$/.test(s.name));
  const loop = all.slice(i - 2, i + 4);
  if (i < 2 || loop.map((s) => s.kind).join() !== LOOP.join())
    throw new Error(`the standard template's monitoring loop is no longer ${LOOP.join(', ')} around its first reboot: update bench/soak.ts`);
  return loop;
}

function fat(home: string, ...args: string[]): string {
  return execFileSync(process.execPath, [fatBin, '--home', home, ...args], { encoding: 'utf8' });
}

/** the master, with its inspector on a port the kernel picks */
async function startMaster(home: string, args: string[]): Promise<{ child: ChildProcess; inspector: Inspector; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', fatBin, '--home', home, 'master', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`fat master exited with ${code} before its inspector listened:\n${err}`)));
  });
  return { child, inspector: await Inspector.connect(url), exited };
}

/** a minimal Chrome DevTools Protocol client */
class Inspector {
  private seq = 0;
  private readonly waiting = new Map<number, (r: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
      if (m.id !== undefined) this.waiting.get(m.id)?.(m.result);
    });
  }

  static connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }

  call<T>(method: string): Promise<T> {
    const id = ++this.seq;
    this.ws.send(JSON.stringify({ id, method }));
    return new Promise((resolve) => this.waiting.set(id, (r) => resolve(r as T)));
  }

  /** the heap after a full GC, MB */
  async heapAfterGc(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const u = await this.call<{ usedSize: number }>('Runtime.getHeapUsage');
    return Number((u.usedSize / 1048576).toFixed(1));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.terminate();
  }
}

function peakRssMB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number((Number(m[1]) / 1024).toFixed(1)) : NaN;
}

function slope(points: Array<{ task: number; heapMB: number }>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.task, 0) / n;
  const my = points.reduce((s, p) => s + p.heapMB, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.task - mx) * (p.heapMB - my), 0);
  const sxx = points.reduce((s, p) => s + (p.task - mx) ** 2, 0);
  return Number(((sxy / sxx) * 100).toFixed(2));
}

async function main() {
  const { startLabProcess } = await import('../src/sim/lab-process.js');
  const { firstFreeBase } = await import('../src/sim/layout.js');
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');
  const { processUsage } = await import('../src/util/proc-usage.js');
  const days = option('--days', 7);
  const killAt = process.argv.includes('--no-kill') ? undefined : option('--kill-at', 0.4);

  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-soak-'));
  const basePort = await firstFreeBase(Array.from({ length: 20 }, (_, i) => 27000 + i * 250));
  if (basePort === undefined) throw new Error('no free ports for the simulated lab between 27000 and 32000');
  const lab = await startLabProcess({ home, seed: 7, basePort });
  const wall0 = Date.now();
  try {
    const run = JSON.parse(fat(home, 'run', 'new', '--comment', 'soak', '--json')) as { runFile: string };
    const loop = monitoringLoop(sections(scheduleTemplate('standard', run.runFile)));
    // how much lab time one loop takes: its catalogue estimate, from `fat schedule check`
    const one = path.join(home, 'loop.ini');
    const ini = (n: number) =>
      [`[constants]`, `run_file = ${run.runFile}`, '', ...Array.from({ length: n }, (_, k) => loop.flatMap((s) => [`[${s.name}_soak${k}]`, ...s.body])).flat()].join('\n');
    fs.writeFileSync(one, ini(1));
    const check = JSON.parse(fat(home, 'schedule', 'check', one, '--json')) as { totalS: number };
    const loops = Math.ceil((days * 86400) / check.totalS);
    const config = path.join(home, 'soak.ini');
    fs.writeFileSync(config, ini(loops));
    const total = loops * LOOP.length;
    const killAfter = killAt === undefined ? undefined : Math.round(total * killAt);

    const db = new Database(path.join(home, 'fat.db'), { readonly: true, fileMustExist: false });
    const doneCount = () => {
      try {
        return (db.prepare("select count(*) as n from tasks where state = 'done'").get() as { n: number }).n;
      } catch {
        return 0; // the master has not made its tables yet
      }
    };
    const scheduleEnded = () => {
      try {
        return (db.prepare("select count(*) as n from schedules where state <> 'active'").get() as { n: number }).n > 0;
      } catch {
        return false;
      }
    };
    const heap: Array<{ process: number; task: number; heapMB: number }> = [];
    const peaks: number[] = [];
    const masterCpu: number[] = [];
    for (const [i, args] of [[config], [config, '--recover']].entries()) {
      const m = await startMaster(home, args);
      let nextSample = Math.floor(doneCount() / 100) * 100 + 100;
      let killed = false;
      for (;;) {
        const ended = await Promise.race([m.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]);
        const done = doneCount();
        if (!ended && done >= nextSample) {
          heap.push({ process: i + 1, task: done, heapMB: await m.inspector.heapAfterGc() });
          nextSample = Math.floor(done / 100) * 100 + 100;
        }
        if (ended) break;
        // an open inspector session keeps a finished master alive: let go once its schedule has ended
        if (scheduleEnded()) m.inspector.close();
        peaks[i] = peakRssMB(m.child.pid!);
        masterCpu[i] = processUsage(m.child.pid!)?.cpuS ?? masterCpu[i] ?? 0;
        if (i === 0 && killAfter !== undefined && done >= killAfter && !killed) {
          m.child.kill('SIGKILL');
          killed = true;
        }
      }
      m.inspector.close();
      if (!killed) break;
    }
    db.close();

    const check2 = new Database(path.join(home, 'fat.db'), { readonly: true });
    const tasks = check2.prepare('select state, count(*) as n from tasks group by state').all() as Array<{ state: string; n: number }>;
    const notOnce = (
      check2
        .prepare(
          "select count(*) as n from tasks t where (select count(*) from task_attempts a where a.task_id = t.id and a.outcome = 'done') <> 1",
        )
        .get() as { n: number }
    ).n;
    const labLine = check2.prepare('select max(ended_at) as end, min(started_at) as start from tasks').get() as { end: string; start: string };
    check2.close();
    const states = Object.fromEntries(tasks.map((t) => [t.state, t.n]));
    const ok = states.done === total && notOnce === 0;
    const last500 = heap.filter((h) => h.task > total - 500);
    console.log(
      JSON.stringify({
        benchmark: 'soak',
        tasks: total,
        loops,
        labDays: Number(((Date.parse(labLine.end) - Date.parse(labLine.start)) / 86_400_000).toFixed(2)),
        wallS: Math.round((Date.now() - wall0) / 1000),
        states,
        killedAfterTask: killAfter ?? null,
        everyTaskDoneOnce: ok,
        tasksNotDoneExactlyOnce: notOnce,
        masterCpuS: masterCpu.map((c) => Number(c.toFixed(1))),
        masterPeakRssMB: peaks,
        labPeakRssMB: Number(lab.usage()?.peakRssMB.toFixed(1) ?? NaN),
        masterHeapAfterGcMB: heap,
        heapSlopeLast500MBper100Tasks: slope(last500.filter((h) => h.process === last500.at(-1)?.process)),
        scaledParameters: SCALED,
        note: `the standard template's monitoring loop (${LOOP.join(', ')}) for ${days} lab days; fat master and the simulated lab in processes of their own on virtual time; heap after GC read through the master's inspector every 100 tasks (process 2 is the master started with --recover after the SIGKILL)`,
      }),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await lab.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await main();

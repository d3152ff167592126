/**
 * A station on the virtual time of a simulated lab in a process of its own, for the benchmarks
 * that measure `fat master` as a shifter runs it: the compiled binary in a process of its own (so
 * its memory is its own, and no TypeScript loader thread of tsx is counted), followed through its
 * inspector (heap after a full GC) and the store (tasks done, prompts to answer).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { NODE_HEAP_ARGS } from '../../src/util/node-heap.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { startLabProcess, type LabProcess } from '../../src/sim/lab-process.js';
import { firstFreeBase } from '../../src/sim/layout.js';
import { processUsage } from '../../src/util/proc-usage.js';

const fatBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/fat.js');

export interface VirtualStation {
  home: string;
  lab: LabProcess;
  runFile: string;
  fat(...args: string[]): string;
  /** a read-only look at the station's store (0 before the master made its tables) */
  count(sqlWhere: string): number;
  rows<T>(sql: string): T[];
  close(): Promise<void>;
}

export async function virtualStation(name: string, seed: number): Promise<VirtualStation> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `icefat-bench-${name}-`));
  const basePort = await firstFreeBase(Array.from({ length: 20 }, (_, i) => 27000 + i * 250));
  if (basePort === undefined) throw new Error('no free ports for the simulated lab between 27000 and 32000');
  const lab = await startLabProcess({ home, seed, basePort });
  const fat = (...args: string[]) =>
    execFileSync(process.execPath, [...NODE_HEAP_ARGS, fatBin, '--home', home, ...args], { encoding: 'utf8' });
  const run = JSON.parse(fat('run', 'new', '--comment', name, '--json')) as { runFile: string };
  let db: Database.Database | undefined;
  const store = () => (db ??= new Database(path.join(home, 'fat.db'), { readonly: true }));
  return {
    home,
    lab,
    runFile: run.runFile,
    fat,
    count: (where) => {
      try {
        return (store().prepare(`select count(*) as n from ${where}`).get() as { n: number }).n;
      } catch {
        return 0;
      }
    },
    rows: <T>(q: string) => store().prepare(q).all() as T[],
    close: async () => {
      db?.close();
      await lab.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** a minimal Chrome DevTools Protocol client */
export class Inspector {
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

  private call<T>(method: string): Promise<T> {
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

/** heap samples after GC per 100 tasks (`runMaster`) */
const SAMPLES_PER_MARK = 3;

export interface MasterRun {
  /**
   * The heap after GC every 100 tasks done: `heapMB` is the least of `samplesMB`, taken at three
   * task counts in a row from the mark. A single sample can land inside a task's working set (a
   * monitoring task holds the 16 D-Egg documents it adds entries to, ~0.5 MB of JSON each by the
   * end of the FAT; the backup lane its listing of the raw files), which the next task no longer
   * holds; the least is what the master keeps from task to task, and a leak raises it too.
   */
  heap: Array<{ task: number; heapMB: number; samplesMB: number[] }>;
  cpuS: number;
  peakRssMB: number;
  /** it was killed (`killAfter` tasks were done) */
  killed: boolean;
  prompts: number;
}

/**
 * `fat master ARGS` with its inspector on a port the kernel picks, until it exits (or is killed
 * with SIGKILL once `killAfter` tasks are done); open prompts are answered yes, as the dry run does.
 */
export async function runMaster(st: VirtualStation, args: string[], killAfter?: number): Promise<MasterRun> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--inspect=127.0.0.1:0', ...NODE_HEAP_ARGS, fatBin, '--home', st.home, 'master', '--allow-dirty', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`fat master exited before its inspector listened:\n${err}`)));
  });
  const out: MasterRun = { heap: [], cpuS: 0, peakRssMB: 0, killed: false, prompts: 0 };
  const done = () => st.count("tasks where state = 'done'");
  let next = Math.floor(done() / 100) * 100 + 100;
  /** the mark being sampled, and the task count of its last sample */
  let mark: { task: number; samplesMB: number[]; at: number } | undefined;
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, 250))]);
    if (ended) break;
    const usage = processUsage(child.pid!);
    if (usage) out.cpuS = usage.cpuS;
    // a master that is ending (a zombie) has no VmHWM any more: keep the last one read
    if (usage && Number.isFinite(usage.peakRssMB)) out.peakRssMB = Number(usage.peakRssMB.toFixed(1));
    const n = done();
    if (!mark && n >= next) {
      next = Math.floor(n / 100) * 100 + 100;
      mark = { task: n, samplesMB: [], at: -1 };
    }
    if (mark && n > mark.at) {
      // a session of its own per sample: an open one would keep a master that has ended alive;
      // a master that ends meanwhile (its last task was the sample's) has no heap left to sample
      const inspector = await Inspector.connect(url).catch(async (e: unknown) => {
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (ended) return undefined;
        throw e;
      });
      if (!inspector) break;
      mark.samplesMB.push(await inspector.heapAfterGc());
      mark.at = n;
      inspector.close();
      if (mark.samplesMB.length === SAMPLES_PER_MARK) {
        out.heap.push({ task: mark.task, heapMB: Math.min(...mark.samplesMB), samplesMB: mark.samplesMB });
        mark = undefined;
      }
    }
    if (st.count('prompts where answered_at is null') > 0) {
      out.prompts++;
      st.fat('answer', 'yes');
    }
    if (killAfter !== undefined && n >= killAfter) {
      child.kill('SIGKILL');
      out.killed = true;
      await exited;
    }
  }
  if (mark?.samplesMB.length) out.heap.push({ task: mark.task, heapMB: Math.min(...mark.samplesMB), samplesMB: mark.samplesMB });
  return out;
}

/** least-squares slope of the heap over tasks, MB per 100 tasks */
export function heapSlope(points: Array<{ task: number; heapMB: number }>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.task, 0) / n;
  const my = points.reduce((s, p) => s + p.heapMB, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.task - mx) * (p.heapMB - my), 0);
  const sxx = points.reduce((s, p) => s + (p.task - mx) ** 2, 0);
  return Number(((sxy / sxx) * 100).toFixed(2));
}

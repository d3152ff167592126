/**
 * The API of `fat serve` under load: a fresh home whose SQLite store holds a year of runs
 * (bench/lib/year-of-runs.ts: 26 runs of 16 D-Eggs, ~110 k result rows, events, schedules), the
 * real `fat serve` binary in its own process, and load from a second process on loopback
 * (bench/lib/load.ts: N keep-alive connections, GET after GET). For each endpoint: requests per
 * second and latency p50/p90/p99. The reference, measured in the same run with the same load
 * generator right before each endpoint, is a plain node:http server answering "ok" (the most a
 * Node server can answer on this machine with this generator); each endpoint's ratio is its rps
 * over that reference's.
 *
 * Endpoints another part of icefat has not added yet (GET /api/modules...) are reported as
 * skipped, with the server's answer.
 *
 *   tsx bench/api.ts [--connections N] [--seconds S]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHome, openWorkspace } from '../src/station/workspace.js';
import { fillYear, HandClock } from './lib/year-of-runs.js';
import type { LoadResult } from './lib/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FAT_BIN = path.resolve(here, '../bin/fat.js');
const LOAD = path.join(here, 'lib/load.ts');

function flag(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const i = process.argv.indexOf(`--${name}`);
  const raw = a ? a.slice(name.length + 3) : i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!(v > 0)) throw new Error(`bench/api.ts: --${name} needs a positive number, got ${raw}`);
  return v;
}

/** Starts a child and resolves with the first http:// address it prints on stdout. */
function startPrintingUrl(what: string, cmd: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} printed no address within 60 s\nstdout: ${out}\nstderr: ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1].replace(/\/$/, '') });
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', LOAD, url, '--connections', String(connections), '--seconds', String(seconds), '--warmup', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`the load generator on ${url} failed (${code}): ${err || out}`));
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const HELLO_SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok'); });
s.listen(0, '127.0.0.1', () => console.log('listening at http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

async function main() {
  const connections = flag('connections', 8);
  const seconds = flag('seconds', 3);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-api-'));
  ensureHome(dir);
  const clock = new HandClock(Date.now());
  const ws = await openWorkspace(dir, clock);
  const t0 = performance.now();
  let year;
  try {
    year = await fillYear(ws, clock);
  } finally {
    await ws.close();
  }
  const fillS = (performance.now() - t0) / 1000;
  const dbBytes = fs.statSync(path.join(dir, 'fat.db')).size;

  const children: ChildProcess[] = [];
  try {
    const serve = await startPrintingUrl('fat serve', process.execPath, [FAT_BIN, '--home', dir, 'serve', '--port', '0']);
    children.push(serve.child);
    const hello = await startPrintingUrl('the reference server', process.execPath, ['-e', HELLO_SERVER]);
    children.push(hello.child);

    const endpoints: Array<[string, string]> = [
      ['status', '/api/status'],
      ['results of the latest run', '/api/results'],
      ['results of one module (latest run)', `/api/results?module=${year.latestSerial}`],
      ['modules', '/api/modules'],
      ['one module (history across runs)', `/api/modules/${year.retestedSerial}`],
      ['metrics', '/metrics'],
    ];
    // the reference is measured right before each endpoint, so that a machine whose load changes
    // during the run (other processes on the 2 cores) changes both figures of a ratio alike
    const references: LoadResult[] = [];
    const results: Record<string, unknown> = {};
    const skipped: Record<string, string> = {};
    for (const [name, p] of endpoints) {
      const probe = await fetch(`${serve.url}${p}`);
      const body = await probe.text();
      if (probe.status !== 200) {
        skipped[`GET ${p}`] = `${probe.status}: ${body.slice(0, 200)}`;
        continue;
      }
      const ref = await load(`${hello.url}/`, connections, Math.max(1, seconds / 2));
      references.push(ref);
      const r = await load(`${serve.url}${p}`, connections, seconds);
      results[`GET ${p}`] = {
        what: name,
        rps: r.rps,
        latencyMs: r.latencyMs,
        errors: r.errors,
        bytesPerResponse: r.bytesPerResponse,
        referenceRps: ref.rps,
        ratioToReference: Number((r.rps / ref.rps).toFixed(4)),
      };
    }
    console.log(
      JSON.stringify({
        benchmark: 'api',
        store: { engine: 'sqlite', ...year, fillSeconds: Number(fillS.toFixed(1)), dbMB: Number((dbBytes / 2 ** 20).toFixed(1)) },
        load: { connections, seconds, generator: 'bench/lib/load.ts in its own process, keep-alive, loopback' },
        reference: {
          what: 'plain node:http server answering "ok", same generator',
          rpsMedian: median(references.map((x) => x.rps)),
          p50MsMedian: median(references.map((x) => x.latencyMs.p50)),
        },
        endpoints: results,
        ...(Object.keys(skipped).length ? { skipped } : {}),
        note: 'ratioToReference: the endpoint rps over the rps of the reference measured just before it; the generator shares the cores with the server',
      }),
    );
  } finally {
    for (const c of children) await stop(c);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();

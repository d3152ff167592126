import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../bench/lib/load.js';

const LOAD = path.resolve(import.meta.dirname, '../../bench/lib/load.ts');

/** bench/api.ts's load generator, run as the benchmark runs it: its own process, against a server here. */
describe('bench/lib/load.ts', () => {
  let server: http.Server;
  let base: string;
  let served = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      served++;
      res.statusCode = req.url === '/' ? 200 : 404;
      res.end(req.url === '/' ? 'ok' : 'no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // the child must run while this process serves: spawnSync would block the server
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', LOAD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) => resolve({ code, out, err }));
    });

  it('counts requests, their statuses and latencies over the measured time only', async () => {
    const before = served;
    const r = await run([`${base}/`, '--connections', '4', '--seconds', '1', '--warmup', '0.5']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as LoadResult;
    expect(res.requests).toBeGreaterThan(50);
    expect(res.statuses).toEqual({ '200': res.requests });
    expect(res.errors).toBe(0);
    // the warm-up's requests reached the server but are not counted
    expect(served - before).toBeGreaterThan(res.requests);
    expect(Math.abs(res.rps - res.requests / res.seconds) / res.rps).toBeLessThan(0.02);
    expect(res.latencyMs.p50).toBeGreaterThan(0);
    expect(res.latencyMs.p50).toBeLessThanOrEqual(res.latencyMs.p90);
    expect(res.latencyMs.p90).toBeLessThanOrEqual(res.latencyMs.p99);
    expect(res.bytesPerResponse).toBe(2);
  });

  it('counts answers other than 200 as errors, by status', async () => {
    const r = await run([`${base}/missing`, '--seconds', '0.5', '--warmup', '0.2']);
    const res = JSON.parse(r.out) as LoadResult;
    expect(res.errors).toBe(res.requests);
    expect(res.statuses).toEqual({ '404': res.requests });
  });

  it('names a bad argument', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', LOAD, 'localhost:80'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('must be an http:// URL, got localhost:80');
    const r2 = spawnSync(process.execPath, ['--import', 'tsx', LOAD, 'http://127.0.0.1:1/', '--seconds', 'x'], { encoding: 'utf8' });
    expect(r2.stderr).toContain('--seconds needs a positive number, got x');
  });
});

/**
 * A small HTTP load generator, run as its own process so that it never shares an event loop with
 * the server it loads: N connections (keep-alive), each sending GET requests one after the other
 * for a fixed time after a warm-up; prints one JSON object with requests per second and latency
 * percentiles (ms). Non-200 answers are counted as errors, with their statuses. Only a script:
 * importing it runs it (bench/api.ts imports its type alone).
 *
 *   node --import tsx bench/lib/load.ts URL [--connections N] [--seconds S] [--warmup S]
 */
import http from 'node:http';

export interface LoadResult {
  url: string;
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bytesPerResponse: number;
}

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`load: --${name} needs a positive number, got ${process.argv[i + 1]}`);
  return v;
}

function get(agent: http.Agent, url: URL): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const target = process.argv[2];
  if (!target || !/^http:\/\//.test(target)) throw new Error(`load: the first argument must be an http:// URL, got ${target ?? 'nothing'}`);
  const url = new URL(target);
  const connections = flag('connections', 8);
  const seconds = flag('seconds', 4);
  const warmup = flag('warmup', 1);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const t0 = performance.now();
      const r = await get(agent, url);
      const dt = performance.now() - t0;
      if (!measuring || stop) continue;
      latencies.push(dt);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      bytes += r.bytes;
    }
  };
  const loops = Array.from({ length: connections }, loop);
  await new Promise((r) => setTimeout(r, warmup * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(loops);
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const ok = statuses['200'] ?? 0;
  const round = (x: number) => Number(x.toFixed(2));
  const out: LoadResult = {
    url: target,
    connections,
    seconds: round(elapsed),
    requests: latencies.length,
    errors: latencies.length - ok,
    statuses,
    rps: round(latencies.length / elapsed),
    latencyMs: {
      p50: round(percentile(sorted, 0.5)),
      p90: round(percentile(sorted, 0.9)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? NaN),
    },
    bytesPerResponse: latencies.length ? Math.round(bytes / latencies.length) : 0,
  };
  console.log(JSON.stringify(out));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

/**
 * How fast the commands a shifter types at 3 a.m. answer, and how much memory they take, beside
 * `node -e 0` measured in the same run: `fat --help`, `fat status` (on a home with a finished
 * run), `fat answer yes` (no prompt open) and `fat pause` (no master running), each the median of
 * --reps runs of the real bin/fat.js, wall time and peak resident memory from GNU time. Then
 * `fat serve`'s resident memory after --requests requests to the dashboard's endpoints.
 *
 *   tsx bench/cli.ts [--reps N] [--requests N]
 *
 * Targets (issue 11): each command at most 0.3 s and 120 MB; `fat serve` at most 150 MB.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name: string, def: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const REPS = arg('reps', 5);
const REQUESTS = arg('requests', 1000);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/fat.js');
const TIME = '/usr/bin/time';
const COMMAND_TARGET = { wallS: 0.3, peakMb: 120 };
const SERVE_TARGET_MB = 150;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall seconds and peak resident MB of one run of `node args...`, from GNU time. */
function timed(args: string[]): { wallS: number; peakMb: number; code: number } {
  const r = spawnSync(TIME, ['-f', '%e %M', process.execPath, ...args], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb] = last.split(' ').map(Number);
  if (!Number.isFinite(wall) || !Number.isFinite(kb)) throw new Error(`GNU time printed "${last}" for node ${args.join(' ')}`);
  return { wallS: wall, peakMb: kb / 1024, code: r.status ?? 1 };
}

function measure(name: string, args: string[], expectCode: number, target?: typeof COMMAND_TARGET) {
  timed(args); // warm the file cache
  const runs = Array.from({ length: REPS }, () => timed(args));
  const bad = runs.find((r) => r.code !== expectCode);
  if (bad) throw new Error(`${name} exited ${bad.code}, expected ${expectCode}`);
  const wallS = median(runs.map((r) => r.wallS));
  const peakMb = median(runs.map((r) => r.peakMb));
  return { name, wallS, peakMb: Math.round(peakMb), ...(target ? { ok: wallS <= target.wallS && peakMb <= target.peakMb } : {}) };
}

/** A home whose run 1 has a finished schedule, made with the real commands against a simulated lab. */
async function finishedHome(basePort: number): Promise<{ dir: string; close: () => Promise<void> }> {
  const { ensureHome } = await import('../src/station/workspace.js');
  const { registryToml } = await import('../src/station/registry.js');
  const { simRegistry } = await import('../src/fat/sim-registry.js');
  const { startSimLab } = await import('../src/sim/lab.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-cli-'));
  const home = ensureHome(dir, { seed: 5, basePort, timeScale: 1000 });
  const lab = await startSimLab({ seed: 5, basePort, timeScale: 1000, domnet: 'auto' });
  fs.writeFileSync(home.registryFile, registryToml(simRegistry(lab.truth)));
  // not spawnSync: the simulated lab in this process must go on answering
  const fat = (...a: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--home', dir, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fat ${a.join(' ')} exited ${code}: ${err}`))));
    });
  await fat('run', 'new', '--comment', 'bench');
  const ini = path.join(dir, 'short.ini');
  fs.writeFileSync(
    ini,
    [
      '[constants]',
      `run_file = ${path.join(dir, 'json/run/run_00001.json')}`,
      '',
      '[wait_time_0]',
      'task = wait_time',
      'pause = 1',
      '',
    ].join('\n'),
  );
  await fat('master', ini);
  return { dir, close: () => lab.close() };
}

async function serveRss(dir: string): Promise<{ rssMb: number; peakMb: number; requests: number }> {
  const child = spawn(process.execPath, [BIN, '--home', dir, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`fat serve exited ${code}: ${out}`)));
    });
    const paths = [
      '/',
      '/api/status',
      '/api/modules',
      '/api/runs',
      '/api/runs/1',
      '/api/results',
      '/api/environment',
      '/api/logbook',
      '/metrics',
    ];
    const serial = ((await (await fetch(`${url}/api/modules`)).json()) as { modules?: Array<{ serial?: string }> }).modules?.[0]?.serial;
    if (serial) paths.push(`/api/modules/${serial}`);
    for (let i = 0; i < REQUESTS; i += 4) {
      await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const r = await fetch(url + paths[(i + k) % paths.length]);
          if (!r.ok) throw new Error(`GET ${paths[(i + k) % paths.length]}: HTTP ${r.status}`);
          await r.arrayBuffer();
        }),
      );
    }
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024), requests: REQUESTS };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} (GNU time, Debian package "time") is needed to measure peak memory`);
  const env = await finishedHome(Number(process.env.BENCH_BASE_PORT ?? 27000));
  try {
    const home = ['--home', env.dir];
    const reference = measure('node -e 0', ['-e', '0'], 0);
    const commands = [
      measure('fat --help', [BIN, '--help'], 0, COMMAND_TARGET),
      measure('fat status', [BIN, ...home, 'status'], 0, COMMAND_TARGET),
      measure('fat answer yes (no prompt open)', [BIN, ...home, 'answer', 'yes'], 1, COMMAND_TARGET),
      measure('fat pause (no master)', [BIN, ...home, 'pause', '--reason', 'bench'], 1, COMMAND_TARGET),
    ].map((c) => ({ ...c, vsNode: +(c.wallS / reference.wallS).toFixed(1) }));
    const serve = await serveRss(env.dir);
    console.log(
      JSON.stringify({
        benchmark: 'cli',
        reps: REPS,
        reference,
        commands,
        target: COMMAND_TARGET,
        serve: { ...serve, targetMb: SERVE_TARGET_MB, ok: serve.rssMb <= SERVE_TARGET_MB },
      }),
    );
  } finally {
    await env.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  }
}

await main();

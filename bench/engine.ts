/**
 * The master's overhead per task: a schedule of N zero-length `wait_time` tasks run by the real
 * engine (journal transactions, run-file updates, events to the store and run log) against the
 * simulated lab, compared with the original's per-task bookkeeping (load, update and rewrite the
 * run JSON, as fat_master.run_schedule did after every task) measured in Python on the same
 * machine in the same run. Also the peak memory of the master process. The whole standard
 * schedule is bench/standard-fat.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const N = Number(process.argv.find((a) => a.startsWith('--tasks='))?.slice(8) ?? 200);

async function main() {
  const { startSimLab } = await import('../src/sim/lab.js');
  const { openWorkspace, ensureHome } = await import('../src/station/workspace.js');
  const { registryToml } = await import('../src/station/registry.js');
  const { simRegistry } = await import('../src/fat/sim-registry.js');
  const { createRun } = await import('../src/fat/run-new.js');
  const { runMaster } = await import('../src/engine/master.js');
  const { createNotifier } = await import('../src/notify/index.js');

  const basePort = Number(process.env.BENCH_BASE_PORT ?? 28000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-engine-'));
  ensureHome(dir, { seed: 3, basePort, timeScale: 1000 });
  const lab = await startSimLab({ seed: 3, basePort, timeScale: 1000, domnet: 'auto' });
  const ws = await openWorkspace(dir);
  try {
    fs.writeFileSync(ws.home.registryFile, registryToml(simRegistry(lab.truth)));
    const run = await createRun(ws, { comment: 'engine bench' });
    const ini = ['[constants]', `run_file = ${run.runFile}`, ''];
    for (let i = 0; i < N; i++) ini.push(`[wait_time_${i}]`, 'task = wait_time', 'pause = 0', '');
    const file = path.join(dir, 'bench.ini');
    fs.writeFileSync(file, ini.join('\n'));

    const t0 = performance.now();
    const outcome = await runMaster(ws, {
      configPath: file,
      recover: false,
      force: false,
      interactive: false,
      signal: new AbortController().signal,
      notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, console: false, slack: false }),
    });
    const totalMs = performance.now() - t0;
    if (outcome.state !== 'completed') throw new Error(`the bench schedule did not complete: ${outcome.message}`);

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

    const perTaskMs = totalMs / N;
    const refPerTaskMs = (ref.seconds * 1000) / N;
    console.log(
      JSON.stringify({
        benchmark: 'engine',
        tasks: N,
        icefatPerTaskMs: Number(perTaskMs.toFixed(3)),
        referencePerTaskMs: Number(refPerTaskMs.toFixed(3)),
        ratio: Number((perTaskMs / refPerTaskMs).toFixed(2)),
        note: 'icefat per task: journal transactions, run-file rewrite, events to store and run log, conditions check (2 humidity reads) and backup queue; reference: the original rewriting the run JSON once per task',
        peakRssMB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
      }),
    );
  } finally {
    await ws.close();
    await lab.close();
  }
}

await main();

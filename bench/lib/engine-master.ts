/**
 * The master side of bench/engine.ts, run in a process of its own from a compiled bundle (as `fat`
 * runs), so its peak memory is the master's alone: neither the simulated lab nor tsx's compiler
 * is in it. Runs the schedule `ini` of the home `dir` and prints one JSON line: the wall time of
 * `runMaster`, the outcome and this process's peak RSS.
 *
 *   node dist/bench/engine-master.mjs <home> <schedule.ini>
 */
import { openWorkspace } from '../../src/station/workspace.js';
import { runMaster } from '../../src/engine/master.js';
import { createNotifier } from '../../src/notify/index.js';

const [dir, ini] = process.argv.slice(2);
if (!dir || !ini) throw new Error('usage: engine-master <home> <schedule.ini>');

const ws = await openWorkspace(dir);
try {
  const t0 = performance.now();
  const outcome = await runMaster(ws, {
    configPath: ini,
    recover: false,
    force: false,
    interactive: false,
    signal: new AbortController().signal,
    notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, console: false, slack: false }),
  });
  const totalMs = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({ totalMs, state: outcome.state, message: outcome.message, peakRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n',
  );
} finally {
  await ws.close();
}

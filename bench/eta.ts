/**
 * How good is the learned ETA? A finished run's history replayed (src/views/eta-replay.ts): at the
 * start of each task, the ETA from the durations learned from what the station had finished by
 * then, and the one from the catalogue's fixed estimates, each against the run's real end.
 *
 *   node --import tsx bench/eta.ts                      the example schedule (event counts scaled
 *                                                       down) run 3 times by the real engine on a
 *                                                       simulated lab on virtual time; the third replayed
 *   node --import tsx bench/eta.ts --runs 4             ... 4 times, the fourth replayed
 *   node --import tsx bench/eta.ts --home DIR [--run N] a station's own finished run (default: its latest)
 *
 * The simulated lab takes $BENCH_BASE_PORT (default 6400) .. +99, +1000..+1016 and +1234.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EtaReplay } from '../src/views/eta-replay.js';

/** fewer events per measurement than the template's, as test/e2e/example-schedule.test.ts does */
const FEWER: Record<string, string[]> = {
  measure_gain: ['n_events = 2000'],
  measure_scaler: ['n_runs = 50'],
  measure_linearity: ['n_events = 200'],
  measure_pulsed_waveform: ['n_events = 200'],
  measure_baseline_flasher: ['n_events = 50'],
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`eta bench: --${name} needs a value`);
  return v;
}

async function replayHome(home: string, run: string | undefined): Promise<EtaReplay> {
  const { openWorkspace } = await import('../src/station/workspace.js');
  const { replayEta } = await import('../src/views/eta-replay.js');
  if (!fs.existsSync(path.join(home, 'station.toml'))) throw new Error(`eta bench: ${home} is not a station home (no station.toml)`);
  const ws = await openWorkspace(home);
  try {
    return await replayEta(ws, run);
  } finally {
    await ws.close();
  }
}

/** The example schedule run `runs` times on one home, on virtual time; returns the home. */
async function simulatedHistory(runs: number): Promise<{ home: string; wallS: number }> {
  const { VirtualClock } = await import('../src/clock/clock.js');
  const { startSimLab } = await import('../src/sim/lab.js');
  const { openWorkspace, ensureHome } = await import('../src/station/workspace.js');
  const { registryToml } = await import('../src/station/registry.js');
  const { simRegistry } = await import('../src/fat/sim-registry.js');
  const { createRun } = await import('../src/fat/run-new.js');
  const { runMaster } = await import('../src/engine/master.js');
  const { createNotifier } = await import('../src/notify/index.js');
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');

  const basePort = Number(process.env.BENCH_BASE_PORT ?? 6400);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-eta-'));
  const clock = new VirtualClock(Date.now(), true);
  ensureHome(home, { seed: 5, basePort, timeScale: 1 });
  const lab = await startSimLab({ seed: 5, basePort, clock, domnet: 'auto' });
  const ws = await openWorkspace(home, clock);
  const t0 = Date.now();
  try {
    fs.writeFileSync(ws.home.registryFile, registryToml(simRegistry(lab.truth)));
    for (let i = 0; i < runs; i++) {
      const run = await createRun(ws, { comment: `eta bench ${i + 1}` });
      const file = path.join(home, `example_${i + 1}.ini`);
      const lines = scheduleTemplate('example', run.runFile, {}).split('\n');
      fs.writeFileSync(file, lines.flatMap((l) => [l, ...(FEWER[/^task = (\w+)$/.exec(l)?.[1] ?? ''] ?? [])]).join('\n'));
      const outcome = await runMaster(ws, {
        configPath: file,
        recover: false,
        force: false,
        interactive: false,
        // prompts answered at once, as in a dry run
        dryRun: { runFile: run.runFile, answeredBy: 'eta-bench' },
        signal: new AbortController().signal,
        notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, console: false, slack: false }),
      });
      if (outcome.state !== 'completed') throw new Error(`eta bench: run ${i + 1} did not complete: ${outcome.message}`);
      process.stderr.write(`eta bench: run ${i + 1}/${runs} done (${((Date.now() - t0) / 1000).toFixed(0)} s wall)\n`);
    }
  } finally {
    await ws.close();
    await lab.close();
  }
  return { home, wallS: (Date.now() - t0) / 1000 };
}

async function main() {
  const home = arg('home');
  const runs = Number(arg('runs') ?? 3);
  if (!home && !(Number.isInteger(runs) && runs >= 2))
    throw new Error(`eta bench: --runs needs a whole number of at least 2, got ${arg('runs')}`);
  const made = home ? undefined : await simulatedHistory(runs);
  const r = await replayHome(home ?? made!.home, arg('run'));
  const first = r.boundaries[0];
  console.log(
    JSON.stringify({
      benchmark: 'eta',
      source: home ? `station home ${home}` : `the example schedule (fewer events) run ${runs} times on virtual time; the last replayed`,
      run: r.run,
      schedule: r.schedule,
      boundaries: r.boundaries.length,
      learnedMeanAbsErrorS: Math.round(r.learnedMeanAbsErrorS),
      catalogueMeanAbsErrorS: Math.round(r.catalogueMeanAbsErrorS),
      ratio: Number((r.learnedMeanAbsErrorS / r.catalogueMeanAbsErrorS).toFixed(3)),
      atStart: {
        realS: Math.round(first.realS),
        learnedErrorS: Math.round(first.learnedErrorS),
        catalogueErrorS: Math.round(first.catalogueErrorS),
      },
      basisAtStart: r.basisAtStart,
      perBoundary: r.boundaries.map((b) => ({
        index: b.index,
        kind: b.kind,
        realS: Math.round(b.realS),
        learnedErrorS: Math.round(b.learnedErrorS),
        catalogueErrorS: Math.round(b.catalogueErrorS),
      })),
      note: 'errors are ETA minus the real end in lab seconds (negative: the ETA was early); the reference is the catalogue’s fixed estimates',
      ...(made ? { wallS: Math.round(made.wallS) } : {}),
    }),
  );
}

await main();

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../clock/clock.js';
import { ensureHome, openWorkspace } from '../station/workspace.js';
import { registryToml } from '../station/registry.js';
import { createRun } from '../fat/run-new.js';
import { createNotifier } from '../notify/index.js';
import { simRegistry } from '../fat/sim-registry.js';
import { startSimLab } from '../sim/lab.js';
import { firstFreeBase } from '../sim/layout.js';
import { latestSchedule, scheduleTasks } from './journal.js';
import { runMaster } from './master.js';

/**
 * `fat master CONFIG --dry-run`: the whole schedule, run by the real engine against a simulated lab
 * on virtual time, in a throw-away home folder; prompts are answered "yes" at once. Nothing of the
 * station's own store, files or instruments is touched. What comes back is how long each task
 * took in lab time, next to its estimate.
 */
export interface DryRunTask {
  index: number;
  section: string;
  kind: string;
  state: string;
  estimateS: number;
  labS: number;
}

export interface DryRunResult {
  tasks: DryRunTask[];
  totalLabS: number;
  totalEstimateS: number;
  wallS: number;
  outcome: string;
  home: string;
}

/** where a dry run looks for a free lab: FIRST_BASE, FIRST_BASE + STEP, ... below LAST_BASE */
const FIRST_BASE = 27000;
const LAST_BASE = 32000;
const STEP = 250;

/** The first base port whose lab ports are all free, or `pinned` (tests pin it). */
async function freeBase(pinned?: number): Promise<number> {
  const candidates = pinned ? [pinned] : Array.from({ length: (LAST_BASE - FIRST_BASE) / STEP }, (_, i) => FIRST_BASE + i * STEP);
  const base = await firstFreeBase(candidates);
  if (base === undefined) throw new Error(`no free ports for the dry run's simulated lab between ${FIRST_BASE} and ${LAST_BASE}`);
  return base;
}

export async function dryRun(configPath: string, opts: { seed?: number; basePort?: number } = {}): Promise<DryRunResult> {
  const clock = new VirtualClock(Date.now(), true);
  const basePort = await freeBase(opts.basePort);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-dry-run-'));
  ensureHome(dir, { seed: opts.seed ?? 1, basePort, timeScale: 1 });
  const lab = await startSimLab({ seed: opts.seed ?? 1, basePort, clock, domnet: 'auto' });
  const ws = await openWorkspace(dir, clock, { checkpointInBackground: true });
  const wall0 = Date.now();
  try {
    fs.writeFileSync(ws.home.registryFile, registryToml(simRegistry(lab.truth)));
    const run = await createRun(ws, { comment: `dry run of ${configPath}` });
    const outcome = await runMaster(ws, {
      configPath,
      recover: false,
      force: false,
      interactive: false,
      dryRun: { runFile: run.runFile, answeredBy: 'dry-run' },
      signal: new AbortController().signal,
      notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, console: false, slack: false }),
    });
    const sched = await latestSchedule(ws, run.runId);
    const tasks = sched ? await scheduleTasks(ws, sched.id) : [];
    const rows: DryRunTask[] = tasks.map((t) => ({
      index: t.idx,
      section: t.section,
      kind: t.kind,
      state: t.state,
      estimateS: t.estimate_s,
      labS: t.started_at && t.ended_at ? (Date.parse(t.ended_at) - Date.parse(t.started_at)) / 1000 : 0,
    }));
    return {
      tasks: rows,
      totalLabS: rows.reduce((s, t) => s + t.labS, 0),
      totalEstimateS: rows.reduce((s, t) => s + t.estimateS, 0),
      wallS: (Date.now() - wall0) / 1000,
      outcome: `${outcome.state}: ${outcome.message}`,
      home: dir,
    };
  } finally {
    await ws.close();
    await lab.close();
  }
}

import { provenance, recordChecks, recordEvent, type CheckItem } from '../../records/check-results.js';
import { activeRunModules, type RunModule } from '../../station/runs.js';
import type { Workspace } from '../../station/workspace.js';
import { gitGuard, type GitGuard } from './git-guard.js';
import { checkLaserFrequency, type LaserFreqResult } from './laser-freq.js';
import { checkPeripherals } from './peripherals.js';
import { checkVisibility } from './visibility.js';

/**
 * The checks of the seed's checklist as `fat check ...` and `fat preflight` run them: each one
 * measured, its items stored with the run (or the station before a run exists) and an event
 * written, so both faces leave the same record.
 */
export interface RunRef {
  id: number;
  run_number: number;
}

export async function peripheralsChecked(ws: Workspace, run: RunRef | undefined): Promise<{ items: CheckItem[]; failed: CheckItem[] }> {
  const items = await checkPeripherals(ws, (ms) => ws.clock.sleep(ms));
  await recordChecks(ws, run?.id ?? null, items);
  const failed = items.filter((i) => i.verdict === 'fail');
  const ok = `${items.length - failed.length}/${items.length} OK`;
  await recordEvent(ws, run?.id ?? null, failed.length ? 'warn' : 'info', 'check.peripherals', `peripherals: ${ok}`);
  return { items, failed };
}

export async function laserFreqChecked(
  ws: Workspace,
  run: RunRef | undefined,
  frequencyHz: number,
  progress: (l: string) => void,
): Promise<LaserFreqResult> {
  if (!(frequencyHz > 0 && frequencyHz <= 10000)) throw new Error(`--freq must be between 0 and 10000 Hz, got ${frequencyHz}`);
  const r = await checkLaserFrequency(ws, frequencyHz, progress);
  await recordChecks(ws, run?.id ?? null, [r.item]);
  await recordEvent(ws, run?.id ?? null, r.pass ? 'info' : 'warn', 'check.laser-freq', r.item.message);
  return r;
}

export interface VisibilityChecked extends Awaited<ReturnType<typeof checkVisibility>> {
  git: GitGuard;
  modules: RunModule[];
  failed: CheckItem[];
}

/** Throws before measuring when icefat or the station has uncommitted changes and `force` is not given. */
export async function visibilityChecked(
  ws: Workspace,
  run: RunRef,
  opts: { jobs: number; events: number; comment: string; force: boolean; forceFlag?: string; progress: (l: string) => void },
): Promise<VisibilityChecked> {
  if (opts.jobs < 1 || opts.jobs > 16) throw new Error(`--jobs must be 1..16, got ${opts.jobs}`);
  if (opts.events < 10) throw new Error(`--events must be at least 10, got ${opts.events}`);
  const git = gitGuard(ws, opts.force, opts.forceFlag);
  const modules = await activeRunModules(ws, run.id);
  if (!modules.length) throw new Error(`run ${run.run_number} has no active modules`);
  if (git.forced) opts.progress('warning: running with uncommitted changes (--force); the git state is recorded with the results');
  const r = await checkVisibility(ws, modules, { jobs: opts.jobs, events: opts.events, comment: opts.comment, progress: opts.progress });
  await recordChecks(ws, run.id, r.items, { ...provenance(ws), git });
  const failed = r.items.filter((i) => i.verdict === 'fail');
  await recordEvent(
    ws,
    run.id,
    failed.length ? 'warn' : 'info',
    'check.visibility',
    `visibility: ${r.items.length - failed.length}/${r.items.length} OK`,
  );
  return { ...r, git, modules, failed };
}

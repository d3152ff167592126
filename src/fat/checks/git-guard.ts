import { REPO_ROOT } from '../../util/repo-root.js';
import { gitState, ICEFAT_PATHS, type GitState } from '../../station/git-state.js';
import type { Workspace } from '../../station/workspace.js';

/**
 * Measurements refuse to run from a modified icefat or station configuration unless forced, as
 * the original did ("Commit changes to the repository before running a measurement! Or use
 * --force to run it anyways."), and record the state either way. `flag` is the option that
 * forces it (`fat master` has its own, as its --force means something else).
 */
export interface GitGuard {
  icefat: GitState;
  station: GitState;
  dirty: boolean;
  forced: boolean;
}

export function gitGuard(ws: Workspace, force: boolean, flag = '--force'): GitGuard {
  const icefat = gitState(REPO_ROOT, ICEFAT_PATHS);
  const station = gitState(ws.home.dir, ['station.toml', 'modules.toml']);
  const dirty = Boolean(icefat.dirty || station.dirty);
  if (dirty && !force) {
    const where = [
      icefat.dirty ? `icefat (${icefat.repo}): ${icefat.changes?.join(', ')}` : '',
      station.dirty ? `station configuration (${station.repo}): ${station.changes?.join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(
      `Commit changes to the repository before running a measurement! Or use ${flag} to run it anyway.\n  uncommitted: ${where.join('; ')}`,
    );
  }
  return { icefat, station, dirty, forced: dirty && force };
}

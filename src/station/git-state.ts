import { execFileSync } from 'node:child_process';

/** The git state that a measurement records, and that `--force` overrides when dirty. */
export interface GitState {
  repo: string;
  available: boolean;
  branch?: string;
  sha?: string;
  dirty?: boolean;
  /** uncommitted paths (first few), for the refusal message */
  changes?: string[];
}

/** What makes icefat itself: a change elsewhere in its checkout (an untracked build, a symlink) is no change of icefat. */
export const ICEFAT_PATHS = ['src', 'config', 'package.json', 'package-lock.json'];

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** State of the repository containing `dir`; `paths` limits the dirtiness check to those files. */
export function gitState(dir: string, paths: string[] = []): GitState {
  try {
    const top = git(dir, ['rev-parse', '--show-toplevel']);
    let sha: string | undefined;
    try {
      sha = git(dir, ['rev-parse', '--short', 'HEAD']);
    } catch {
      sha = undefined; // a repository without commits yet
    }
    const branch = git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']).replace(/^HEAD$/, 'detached');
    // not trimmed: the first column of `--porcelain` is significant (" M file")
    const status = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--', ...paths], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const changes = status
      .split('\n')
      .filter((l) => l.length > 3)
      .map((l) => l.slice(3));
    return { repo: top, available: true, branch, sha, dirty: changes.length > 0, changes: changes.slice(0, 10) };
  } catch {
    return { repo: dir, available: false };
  }
}

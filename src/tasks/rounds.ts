/**
 * Sequential rounds of per-module work: a task spreads over `n_jobs` parallel jobs, at most one per
 * wire pair (four), and the modules of one job are measured one after another, so 16 modules with
 * 4 jobs take 4 rounds. Duration estimates are built from it.
 */
export function rounds(modules: number, nJobs: number): number {
  return Math.ceil(Math.max(1, modules) / Math.min(4, Math.max(1, nJobs)));
}

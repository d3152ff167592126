import type { Selectable } from 'kysely';
import type { TaskTable } from '../store/schema.js';
import { checkModules } from '../tasks/status-check.js';
import type { TaskKind } from '../tasks/types.js';
import { StoreLockedError } from '../store/sqlite-yielding.js';
import { isDiskFull } from '../util/disk-space.js';
import { contextFor, excludeModule, runTask, TaskFailed, type RunScope } from './task-runner.js';

/**
 * One D-Egg going bad in the middle of a task must not stop a two-week run. When a task fails,
 * or finishes naming modules it could not measure, those modules get the status check's
 * treatment: one that does not answer is power-cycled (its FPGA reflashed) and excluded when it
 * still does not; one that answers but was named in a failure is power-cycled, and excluded the
 * second time the same task fails because of it. The task then runs again for the others. Only
 * a failure no module explains (or one that keeps failing) stops the run.
 */
const MAX_RERUNS = 3;

/** The active modules an error or a result names: `tcp://host:PORT`, `port PORT` or `(port PORT)`. */
export function portsNamedIn(text: string, ports: readonly number[]): number[] {
  const named = new Set<number>();
  for (const m of text.matchAll(/(?:tcp:\/\/[^\s:/]+:|\bport )(\d{2,5})\b/g)) {
    const p = Number(m[1]);
    if (ports.includes(p)) named.add(p);
  }
  return [...named].sort((a, b) => a - b);
}

/** The modules of a task's result that it could not measure (`failures: [{port}]`, as most kinds return). */
function failedPorts(result: unknown, ports: readonly number[]): number[] {
  const failures = (result as { failures?: unknown } | null | undefined)?.failures;
  if (!Array.isArray(failures)) return [];
  const out = failures.map((f) => (f as { port?: unknown }).port).filter((p): p is number => typeof p === 'number' && ports.includes(p));
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * The status check of some modules (with `reboot`, each power-cycled first): one that does not
 * answer is cycled once and excluded when it still does not. Returns the ports cycled or excluded.
 */
async function checkSome(scope: RunScope, t: Selectable<TaskTable>, ports: readonly number[], reboot = false): Promise<number[]> {
  const subset = scope.modules.filter((m) => ports.includes(m.port));
  if (!subset.length) return [];
  const ctx = { ...contextFor(scope, t, t.attempts, () => undefined), modules: subset };
  const { ok, excluded } = await checkModules(ctx, reboot);
  return [...excluded.map((e) => e.port), ...ok.filter((s) => s.cycled).map((s) => s.port)];
}

/**
 * At a restart after a crash (--recover): modules that do not answer the connectivity test get
 * one power cycle each and are excluded, with an alert, when they still do not.
 */
export async function reviveOrExclude(scope: RunScope, ports: readonly number[]): Promise<void> {
  const t = { id: 0, idx: -1, section: 'connectivity test', kind: 'status_check', attempts: 0 } as Selectable<TaskTable>;
  const back = await checkSome(scope, t, ports);
  const revived = ports.filter((p) => scope.modules.some((m) => m.port === p));
  if (revived.length)
    scope.emit({
      level: 'info',
      kind: 'module.revived',
      message: `D-Egg(s) on port(s) ${revived.join(', ')} answer again after a power cycle`,
      audience: 'channel',
      data: { ports: revived, touched: back },
    });
}

export async function runTaskThroughModuleFaults(scope: RunScope, t: Selectable<TaskTable>, kind: TaskKind): Promise<unknown> {
  const strikes = new Map<number, number>();
  for (let rerun = 0; ; rerun++) {
    try {
      const result = await runTask(scope, t, kind);
      // measured without some modules: deal with them now, not at the next task that touches them
      const failed = failedPorts(
        result,
        scope.modules.map((m) => m.port),
      );
      if (failed.length) await checkSome(scope, t, failed);
      return result;
    } catch (e) {
      if (!(e instanceof TaskFailed) || rerun >= MAX_RERUNS) throw e;
      // a full disk or a locked store is no module's fault: no D-Egg is cycled or excluded for it
      if (isDiskFull(e.cause) || e.cause instanceof StoreLockedError) throw e;
      const active = scope.modules.map((m) => m.port);
      const named = portsNamedIn(e.message, active);
      // the named ones, or (a failure naming none) every module: one that does not answer explains it
      const touched = new Set(await checkSome(scope, t, named.length ? named : active));
      for (const port of named) {
        if (touched.has(port) || !scope.modules.some((m) => m.port === port)) continue;
        // it answers the status check, yet the task failed on it
        const n = (strikes.get(port) ?? 0) + 1;
        strikes.set(port, n);
        if (n >= 2) await excludeModule(scope, port, `[${t.idx}] ${t.section} failed on it twice: ${e.message}`);
        else await checkSome(scope, t, [port], true);
        touched.add(port);
      }
      if (!touched.size) throw e;
      if (!scope.modules.length) throw e;
      scope.emit({
        level: 'warn',
        kind: 'task.rerun',
        message: `${e.message}. The D-Egg(s) it failed on were power-cycled or excluded; [${t.idx}] ${t.section} runs again for the ${scope.modules.length} D-Eggs left`,
        audience: 'people',
        data: { taskId: t.id, ports: [...touched] },
      });
    }
  }
}

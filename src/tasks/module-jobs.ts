import type { IcebootSession } from '../lab/iceboot/session.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * What every task kind that works module by module shares: the laser off, the HV up on all modules
 * with one ramp wait, a function run on each module in wire-pair lanes, and the log of the modules
 * that failed (each reported as it happens, the others measured on). What is not a module's fault
 * (a stop, a full disk, a locked store) ends the task instead (rethrowUnlessModuleFault).
 */

export interface ModuleFailure {
  port: number;
  serial: string;
  error: string;
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface FailureLogOptions {
  /** the warn event's kind, e.g. `measure.scaler.module-failed` */
  kind: string;
  /** the head of its message, e.g. `measure_scaler` */
  task: string;
  /** words after `(port N)`, e.g. `was not measured` */
  verb?: string;
  /** a module is logged at its first failure only (later ones are dropped) */
  once?: boolean;
}

export interface FailureLog {
  failures: ModuleFailure[];
  /** records the failure ({port, serial, error}) and emits the warn event */
  fail: (m: ActiveModule, e: unknown) => void;
  has: (m: { port: number }) => boolean;
  /** the modules that have not failed */
  without: <M extends { port: number }>(modules: M[]) => M[];
  /** `serial: error; ...` for a task's "measured no module" error */
  summary: () => string;
}

/** Collects per-module failures and reports each as it happens. */
export function failureLog(ctx: TaskContext, o: FailureLogOptions): FailureLog {
  const failures: ModuleFailure[] = [];
  const has = (m: { port: number }) => failures.some((f) => f.port === m.port);
  return {
    failures,
    fail: (m, e) => {
      if (o.once && has(m)) return;
      const error = errorText(e);
      failures.push({ port: m.port, serial: m.serial, error });
      ctx.emit({
        level: 'warn',
        kind: o.kind,
        message: `${o.task}: ${m.serial} (port ${m.port})${o.verb ? ` ${o.verb}` : ''}: ${error}`,
        audience: 'channel',
        data: { port: m.port },
      });
    },
    has,
    without: (modules) => modules.filter((m) => !has(m)),
    summary: () => failures.map((f) => `${f.serial}: ${f.error}`).join('; '),
  };
}

/**
 * A measurement's failure log: the warn event `measure.<short>.module-failed`, `<task>: <serial>
 * (port N) was not measured: <error>`; with `once`, a module's first failure only.
 */
export const measurementFailures = (ctx: TaskContext, short: string, task: string, o: { once?: boolean } = {}) =>
  failureLog(ctx, { kind: `measure.${short}.module-failed`, task, verb: 'was not measured', ...o });

/**
 * The modules a kind measures: every active module, or with `test` (the original's trial mode)
 * only the first by port, which is said on the channel so that nobody takes the run for complete.
 */
export function measuredModules(ctx: TaskContext, task: string, test: boolean): ActiveModule[] {
  if (!ctx.modules.length) throw new Error(`${task}: the run has no active modules`);
  if (!test) return [...ctx.modules];
  const first = [...ctx.modules].sort((a, b) => a.port - b.port)[0];
  ctx.emit({
    level: 'warn',
    kind: `${task.replace('_', '.')}.test-mode`,
    message: `${task} in test mode: only ${first.serial} (port ${first.port}) is measured`,
    audience: 'channel',
  });
  return [first];
}

/** The function generator's output off (the laser dark). */
export async function laserOff(ctx: TaskContext): Promise<void> {
  await (await ctx.lab.functionGenerator()).disableOutput();
}

export interface EachModuleOptions {
  /** how many wire pairs at a time */
  jobs: number;
  log: FailureLog;
  /** before the failure is logged (and reported), e.g. the module's JSON entry saying so */
  onFail?: (m: ActiveModule, error: string) => Promise<void>;
}

/**
 * Runs `fn` on each module: one module per wire pair at a time, `jobs` wire pairs at once. A module
 * whose `fn` throws goes to the failure log and the others go on; a stop, a full disk or a locked
 * store end the task. Tasks that fire the laser call it inside withLaserLab (laser-lab.ts), which
 * turns the laser off at the end, also when the task ends on an error.
 */
export async function eachModule<M extends ActiveModule>(
  ctx: TaskContext,
  modules: M[],
  o: EachModuleOptions,
  fn: (m: M) => Promise<void>,
): Promise<void> {
  await runLanes(wirePairLanes(modules), o.jobs, async (m) => {
    ctx.signal.throwIfAborted();
    try {
      await fn(m);
    } catch (e) {
      rethrowUnlessModuleFault(ctx, e);
      await o.onFail?.(m, errorText(e));
      o.log.fail(m, e);
    }
  });
}

/**
 * `up` on every module at once (true where it changed an HV); then one wait of `rampS` if any did.
 * Modules that cannot be reached go to `fail`.
 */
export async function hvUpEach(
  ctx: TaskContext,
  modules: ActiveModule[],
  rampS: number,
  fail: (m: ActiveModule, e: unknown) => void,
  up: (s: IcebootSession, m: ActiveModule) => Promise<boolean>,
): Promise<void> {
  const ramped = await Promise.all(
    modules.map((m) =>
      ctx.lab
        .module(m.port, (s) => up(s, m))
        .catch((e: unknown) => {
          fail(m, e);
          return false;
        }),
    ),
  );
  if (ramped.some(Boolean)) {
    ctx.progress(0, `HV was enabled & set - waiting ${rampS} s`);
    await ctx.ws.clock.sleep(rampS * 1000, ctx.signal);
  }
}

import { StoreLockedError } from '../store/sqlite-yielding.js';
import { isDiskFull } from '../util/disk-space.js';
import type { TaskContext } from './types.js';

/**
 * A per-module catch (measure the others, name the one that failed) must let through what is not
 * that module's fault: the run stopping, a full disk, a locked store. Those end the task, and the
 * master reports them as what they are instead of excluding D-Eggs one by one.
 */
export function rethrowUnlessModuleFault(ctx: Pick<TaskContext, 'signal'>, e: unknown): void {
  if (ctx.signal.aborted || isDiskFull(e) || e instanceof StoreLockedError) throw e;
}

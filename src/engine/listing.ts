import { findKind, type Catalogue } from '../tasks/catalogue.js';

/**
 * The "Condensed Schedule" of the start message and of `fat master --test`: what the original's
 * listing kept (it left out status_check, disable_laser, online_mon, bootmon, slowmon, the
 * analyses, constant_monitor, ...: ~150 measurements at 0.5 s each flooded the channel), plus the
 * prompts and the freezer changes, so the listing shows when a person is needed. Each kind says
 * whether it is listed (TaskKind.listed; unset, every kind but housekeeping is); a kind no longer
 * known is listed.
 */
export function condensedSchedule(cat: Catalogue, tasks: Array<{ idx: number; kind: string }>): string[] {
  const listed = (name: string) => {
    const k = findKind(cat, name);
    return k?.listed ?? !k?.housekeeping;
  };
  return ['Condensed Schedule:', ...tasks.filter((t) => listed(t.kind)).map((t) => `[${t.idx}] ${t.kind}`)];
}

import { housekeeping } from '../tasks/housekeeping.js';

/**
 * The "Condensed Schedule" of the start message and of `fat master --test`: what the original's
 * listing kept (it left out status_check, disable_laser, online_mon, bootmon, slowmon, the
 * analyses, constant_monitor, ...: ~150 measurements at 0.5 s each flooded the channel), plus the
 * prompts and the freezer changes, so the listing shows when a person is needed.
 */
const HOUSEKEEPING = new Set(housekeeping.map((k) => k.name));
const NOT_LISTED = new Set([
  ...HOUSEKEEPING,
  'online_mon',
  'bootmon',
  'slowmon',
  'constant_monitor',
  'trigger_remote_wrapper',
  'analysis_wrapper',
  'validate_gain',
]);
const LISTED_ANYWAY = new Set(['manual_input', 'set_freezer']);

export const isHousekeeping = (kind: string) => HOUSEKEEPING.has(kind);

export function condensedSchedule(tasks: Array<{ idx: number; kind: string }>): string[] {
  return [
    'Condensed Schedule:',
    ...tasks.filter((t) => !NOT_LISTED.has(t.kind) || LISTED_ANYWAY.has(t.kind)).map((t) => `[${t.idx}] ${t.kind}`),
  ];
}

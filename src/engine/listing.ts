import { housekeeping } from '../tasks/housekeeping.js';

/**
 * The "Condensed Schedule" of the start message and of `fat master --test`: the measurements,
 * the prompts and the freezer changes, without the housekeeping between them (the original left
 * out status_check, disable_laser, manual_input, online_mon, ... because ~150 measurements at
 * 0.5 s each flooded the channel).
 */
const HOUSEKEEPING = new Set(housekeeping.map((k) => k.name));

export const isHousekeeping = (kind: string) => HOUSEKEEPING.has(kind);

export function condensedSchedule(tasks: Array<{ idx: number; kind: string }>): string[] {
  return [
    'Condensed Schedule:',
    ...tasks
      .filter((t) => !HOUSEKEEPING.has(t.kind) || t.kind === 'manual_input' || t.kind === 'set_freezer')
      .map((t) => `[${t.idx}] ${t.kind}`),
  ];
}

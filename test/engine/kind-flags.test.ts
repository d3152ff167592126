import { describe, expect, it } from 'vitest';
import { condensedSchedule } from '../../src/engine/listing.js';
import { catalogue, kindsOf } from '../../src/tasks/catalogue.js';
import { housekeeping } from '../../src/tasks/housekeeping.js';

/**
 * The engine reads how to treat a task from flags on its kind. These are the lists the engine kept
 * by hand before the flags (issue 14), so a flag that goes missing shows here.
 */
describe('task kind flags', () => {
  const kinds = kindsOf(catalogue());
  const named = (f: (k: (typeof kinds)[number]) => boolean | undefined) =>
    kinds
      .filter(f)
      .map((k) => k.name)
      .sort();

  it('housekeeping: the kinds of the housekeeping list, and no other', () => {
    expect(named((k) => k.housekeeping)).toEqual(housekeeping.map((k) => k.name).sort());
  });

  it('the lab conditions hold back every kind but the freezer, the laser and prompts', () => {
    expect(named((k) => k.actsOnLab || k.asksPerson)).toEqual(['disable_laser', 'manual_input', 'set_freezer']);
  });

  it('the condensed schedule leaves out housekeeping, routine monitoring and analyses, but not prompts and the freezer', () => {
    const notListed = new Set([
      ...housekeeping.map((k) => k.name),
      'online_mon',
      'bootmon',
      'slowmon',
      'constant_monitor',
      'trigger_remote_wrapper',
      'analysis_wrapper',
      'validate_gain',
    ]);
    const listedAnyway = new Set(['manual_input', 'set_freezer']);
    const tasks = [...kinds.map((k) => k.name), 'no_longer_known'].map((kind, idx) => ({ idx, kind }));
    expect(condensedSchedule(catalogue(), tasks)).toEqual([
      'Condensed Schedule:',
      ...tasks.filter((t) => !notListed.has(t.kind) || listedAnyway.has(t.kind)).map((t) => `[${t.idx}] ${t.kind}`),
    ]);
  });
});

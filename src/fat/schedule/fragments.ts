import { z } from 'zod';
import { iniInt, iniNumber, iniText } from '../../tasks/values.js';

/**
 * Fragments of the original's INI files (`fragment = NAME`): functions that added several tasks
 * to the schedule when the file was read. Each expands here into icefat tasks.
 *
 * `monitoring_session` (fat_master.py) added readout_and_readout / readout_and_reboot tasks; its
 * source is lost, so its arguments are reconstructed: (comment, set_time, n_cycles), each cycle a
 * read-only readout followed by a readout with reboots, both lasting set_time seconds.
 */
export interface Fragment {
  name: string;
  params: z.ZodObject;
  positional: string[];
  expand(p: Record<string, unknown>): Array<{ kind: string; params: Record<string, unknown> }>;
}

const session = z.object({
  comment: iniText().default(''),
  set_time: iniNumber({ min: 0, unit: 's' }).default(3600),
  n_cycles: iniInt({ min: 1 }).default(1),
});

export const fragments: Fragment[] = [
  {
    name: 'monitoring_session',
    params: session,
    positional: ['comment', 'set_time', 'n_cycles'],
    expand(raw) {
      const p = raw as z.infer<typeof session>;
      const one = { comment: p.comment, set_time: p.set_time };
      return Array.from({ length: p.n_cycles }, () => [
        { kind: 'readout_and_readout', params: one },
        { kind: 'readout_and_reboot', params: one },
      ]).flat();
    },
  },
];

export function findFragment(name: string): Fragment | undefined {
  return fragments.find((f) => f.name === name.trim());
}

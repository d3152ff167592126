import { z } from 'zod';
import { iniBool, iniInt, iniText } from '../../tasks/values.js';

/**
 * Fragments of the original's INI files (`fragment = NAME`): functions that added several tasks
 * to the schedule when the file was read, as `func(schedule, section_title, *values)`. Each
 * expands here into icefat tasks.
 *
 * `monitoring_session(schedule, title, comment, reboot=False, n_sets=6)` (fat_master.py) adds, per
 * set i, `readout_and_readout(run_file, 3600, "<comment>:<i>")` titled `<title>rr<i>` and, with
 * reboot, `readout_and_reboot(run_file, "<comment>:<i>", 1200)` titled `<title>rb<i>`, each with
 * run_backup. Its `return` sits inside the loop, so the original added the first set only;
 * icefat adds the n_sets the file asks for, and says so.
 */
export interface FragmentTask {
  title: string;
  kind: string;
  params: Record<string, unknown>;
  runBackup: boolean;
}

export interface Fragment {
  name: string;
  params: z.ZodObject;
  positional: string[];
  expand(p: Record<string, unknown>, title: string): FragmentTask[];
  /** where icefat does other than the original did with these values, a warning */
  note?(p: Record<string, unknown>): string | undefined;
}

const session = z.object({
  comment: iniText(),
  reboot: iniBool(false),
  n_sets: iniInt({ min: 1 }).default(6),
});
type Session = z.infer<typeof session>;

export const fragments: Fragment[] = [
  {
    name: 'monitoring_session',
    params: session,
    positional: ['comment', 'reboot', 'n_sets'],
    expand(raw, title) {
      const p = raw as Session;
      return Array.from({ length: p.n_sets }, (_, i) => [
        { title: `${title}rr${i}`, kind: 'readout_and_readout', params: { set_time: 3600, comment: `${p.comment}:${i}` }, runBackup: true },
        ...(p.reboot
          ? [
              {
                title: `${title}rb${i}`,
                kind: 'readout_and_reboot',
                params: { comment: `${p.comment}:${i}`, set_time: 1200 },
                runBackup: true,
              },
            ]
          : []),
      ]).flat();
    },
    note(raw) {
      const p = raw as Session;
      return p.n_sets > 1
        ? `the original's monitoring_session returns inside its loop, so it added the first of the ${p.n_sets} sets only; icefat adds all ${p.n_sets}`
        : undefined;
    },
  },
];

export function findFragment(name: string): Fragment | undefined {
  return fragments.find((f) => f.name === name.trim());
}

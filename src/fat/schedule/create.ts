import fs from 'node:fs';
import path from 'node:path';
import { catalogue } from '../../tasks/catalogue.js';
import { checkSchedule, estimateSchedule, type Schedule } from './parse.js';
import { scheduleTemplate, type TemplateName } from './templates.js';

export interface WrittenSchedule {
  file: string;
  schedule: Schedule;
  totalS: number;
}

/**
 * `fat schedule create`: the template for a run written to `out` atomically (never over an existing
 * file unless `overwrite`), then read back through the same check as `fat schedule check`.
 */
export function writeSchedule(
  out: string,
  template: TemplateName,
  runFile: string,
  opts: { hv?: boolean; verbose?: boolean; overwrite?: boolean; modules: number },
): WrittenSchedule {
  const file = path.resolve(out);
  if (fs.existsSync(file) && !opts.overwrite) throw new Error(`${out} already exists; use --force to overwrite it`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, scheduleTemplate(template, runFile, { hv: opts.hv, verbose: opts.verbose }));
  fs.renameSync(tmp, file);
  const cat = catalogue();
  const r = checkSchedule(file, cat);
  return { file, schedule: r.schedule, totalS: estimateSchedule(r.schedule, cat, opts.modules).totalS };
}

/** The coldest freezer set point the schedule asks for (`set_freezer`: fcurrent + fdelta), if it sets one. */
export function coldestSetPointC(schedule: Schedule): number | undefined {
  const points = schedule.tasks
    .filter((t) => t.kind === 'set_freezer')
    .map((t) => Number(t.params.fcurrent) + Number(t.params.fdelta))
    .filter(Number.isFinite);
  return points.length ? Math.min(...points) : undefined;
}

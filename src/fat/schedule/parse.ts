import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TaskKind } from '../../tasks/types.js';
import { closestNames, findKind, kindsOf, type Catalogue } from '../../tasks/catalogue.js';
import { findFragment, fragments } from './fragments.js';
import { readIni, type IniEntry, type IniProblem, type IniSection } from './ini.js';
import { iniBool, iniInt, parseIniBool } from '../../tasks/values.js';
import { readPositional, type Warn } from './positional.js';

export { estimateSchedule, formatDurationS, type TaskEstimate } from './estimate.js';

/**
 * Schedule files in two formats:
 * - icefat: `[constants]` (run_file, verbose, start_at), then one section per task with
 *   `task = NAME`, named parameters and an optional `run_backup`;
 * - original (create_fat_config.py): sections with `package` and `task` or `fragment`, the other
 *   keys being positional arguments in file order.
 * The whole file is checked before anything runs, and every problem is reported at once.
 *
 * Where the original slips, icefat does what the file's keys say and warns (the schedule still
 * runs): "False" is false (the original's bool("False") is True, for `verbose` and `run_backup`),
 * `run_backup` applies to its own section only (it carried over to the following sections), and
 * a key that the original passed into another parameter by position goes to the parameter it
 * names (positional.ts).
 */
export interface ScheduleTask {
  index: number;
  /** the section title; tasks expanded from a fragment get `<section>.<n>` */
  section: string;
  /** canonical kind name (aliases resolved) */
  kind: string;
  params: Record<string, unknown>;
  runBackup: boolean;
  line: number;
}

export interface Schedule {
  file: string;
  /** sha256 of the file's bytes, hex */
  hash: string;
  constants: { runFile: string; verbose: boolean; startAt?: number };
  tasks: ScheduleTask[];
  format: 'icefat' | 'original';
  /** where the file says one thing and the original did another: icefat did what the file says */
  warnings: ScheduleWarning[];
}

export type WarningCode = 'positional-slip' | 'python-bool' | 'label' | 'fragment';

export interface ScheduleWarning extends IniProblem {
  code: WarningCode;
}

export type ProblemCode =
  'file' | 'ini' | 'constants' | 'structure' | 'unknown-task' | 'unknown-parameter' | 'bad-value' | 'too-many-arguments';

export interface ScheduleProblem extends IniProblem {
  code: ProblemCode;
  /** canonical kind of the section, when known */
  kind?: string;
}

export function formatProblem(p: ScheduleProblem | ScheduleWarning): string {
  const where = p.line > 0 ? `${p.file} line ${p.line}` : p.file;
  if (p.section === undefined) return `${where}: ${p.message}`;
  return `${where}, [${p.section}]${p.key === undefined ? '' : ` ${p.key}`}: ${p.message}`;
}

/**
 * Warnings with the same message as one line each, naming where (the original's generator
 * writes the same slip into many sections): "[a] key line 3, [b] key line 9 and 4 more: message".
 */
export function groupWarnings(warnings: ScheduleWarning[], show = 4): string[] {
  const byMessage = new Map<string, ScheduleWarning[]>();
  for (const w of warnings) byMessage.set(w.message, [...(byMessage.get(w.message) ?? []), w]);
  return [...byMessage].map(([message, list]) => {
    const where = list.slice(0, show).map((w) => `[${w.section}] ${w.key} line ${w.line}`);
    return `${where.join(', ')}${list.length > show ? ` and ${list.length - show} more` : ''}: ${message}`;
  });
}

export class ScheduleError extends Error {
  constructor(readonly problems: ScheduleProblem[]) {
    super(`${problems.length} problem(s) in the schedule, nothing was run:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'ScheduleError';
  }
}

const RESERVED = new Set(['task', 'fragment', 'package', 'run_backup']);

const constantsSchema = {
  verbose: iniBool(true),
  start_at: iniInt({ min: 0 }).optional(),
};

/**
 * Reads and validates a schedule without throwing: the tasks that could be built and every
 * problem found.
 */
/** Far beyond any FAT (the standard one: 1114 tasks in 0.15 MiB), and checked in well under a second. */
export const MAX_SCHEDULE_BYTES = 8 * 1048576;

export function checkSchedule(file: string, cat: Catalogue): { schedule: Schedule; problems: ScheduleProblem[] } {
  const problems: ScheduleProblem[] = [];
  const schedule: Schedule = { file, hash: '', constants: { runFile: '', verbose: true }, tasks: [], format: 'icefat', warnings: [] };
  let bytes: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_SCHEDULE_BYTES) {
      problems.push({
        file,
        line: 0,
        code: 'file',
        message: `is ${(size / 1048576).toFixed(1)} MiB: a schedule is at most ${MAX_SCHEDULE_BYTES / 1048576} MiB (the standard FAT is 0.15 MiB); is it the right file?`,
      });
      return { schedule, problems };
    }
    bytes = fs.readFileSync(file);
  } catch (e) {
    problems.push({ file, line: 0, code: 'file', message: `cannot be read: ${(e as Error).message}` });
    return { schedule, problems };
  }
  schedule.hash = createHash('sha256').update(bytes).digest('hex');
  const ini = readIni(bytes.toString('utf8'), file);
  problems.push(...ini.problems.map((p) => ({ ...p, code: 'ini' as const })));

  const constants = ini.sections.find((s) => s.name === 'constants');
  if (!constants) problems.push({ file, line: 1, code: 'constants', message: 'no [constants] section (it names the run_file)' });
  else schedule.constants = readConstants(file, constants, problems);

  const taskSections = ini.sections.filter((s) => s !== constants);
  schedule.format = taskSections.some((s) => s.entries.some((e) => e.key === 'package' || e.key === 'fragment')) ? 'original' : 'icefat';
  const warn: Warn = (code, message, e, section) =>
    schedule.warnings.push({ file, line: e.line, section: section.name, key: e.key, code, message });
  const verbose = constants?.entries.find((e) => e.key === 'verbose');
  if (schedule.format === 'original' && verbose && parseIniBool(verbose.value) === false)
    warn(
      'python-bool',
      `the original read any text here as True (Python's bool("${verbose.value}")) and posted every task to Slack; icefat reads it as false (verbose changes nothing in icefat)`,
      verbose,
      constants!,
    );
  for (const s of taskSections) readTaskSection(file, s, schedule, cat, problems, warn);
  if (!taskSections.length && !ini.problems.length)
    problems.push({ file, line: 1, code: 'structure', message: 'the schedule has no tasks' });

  const startAt = schedule.constants.startAt;
  if (startAt !== undefined && schedule.tasks.length && startAt >= schedule.tasks.length) {
    const e = constants?.entries.find((x) => x.key === 'start_at');
    problems.push({
      file,
      line: e?.line ?? 0,
      section: 'constants',
      key: 'start_at',
      code: 'constants',
      message: `there are tasks 0..${schedule.tasks.length - 1}, got ${startAt}`,
    });
  }
  // stable: problems of one line keep the order they were found in
  problems.sort((a, b) => a.line - b.line);
  schedule.warnings.sort((a, b) => a.line - b.line);
  return { schedule, problems };
}

/** The schedule, or a ScheduleError listing every problem (and no tasks). */
export function parseSchedule(file: string, cat: Catalogue): Schedule {
  const r = checkSchedule(file, cat);
  if (r.problems.length) throw new ScheduleError(r.problems);
  return r.schedule;
}

function readConstants(file: string, s: IniSection, problems: ScheduleProblem[]): Schedule['constants'] {
  const out: Schedule['constants'] = { runFile: '', verbose: true };
  const at = (key: string) => s.entries.find((e) => e.key === key);
  const bad = (e: IniEntry | undefined, message: string) =>
    problems.push({ file, line: e?.line ?? s.line, section: s.name, key: e?.key ?? 'run_file', code: 'constants', message });
  for (const e of s.entries)
    if (!['run_file', 'verbose', 'start_at'].includes(e.key)) bad(e, 'unknown constant (known: run_file, verbose, start_at)');

  const rf = at('run_file');
  if (!rf || !rf.value.trim()) bad(rf, 'missing: the run JSON file (json/run/run_NNNNN.json) this schedule measures');
  else {
    const abs = path.resolve(path.dirname(path.resolve(file)), rf.value.trim());
    out.runFile = abs;
    if (!abs.endsWith('.json')) bad(rf, `expected a .json run file, got "${rf.value}"`);
    else if (!fs.existsSync(abs)) bad(rf, `${abs} does not exist (create the run with \`fat run new\`)`);
  }
  const v = at('verbose');
  if (v) {
    const r = constantsSchema.verbose.safeParse(v.value);
    if (r.success) out.verbose = r.data;
    else bad(v, r.error.issues[0].message);
  }
  const st = at('start_at');
  if (st) {
    const r = constantsSchema.start_at.safeParse(st.value);
    if (r.success) out.startAt = r.data;
    else bad(st, r.error.issues[0].message);
  }
  return out;
}

function readTaskSection(file: string, s: IniSection, schedule: Schedule, cat: Catalogue, problems: ScheduleProblem[], warn: Warn): void {
  const at = (key: string) => s.entries.find((e) => e.key === key);
  const problem = (code: ProblemCode, message: string, e?: IniEntry, kind?: string) =>
    problems.push({ file, line: e?.line ?? s.line, section: s.name, key: e?.key, code, message, kind });
  const taskE = at('task');
  const fragE = at('fragment');
  if (taskE && fragE) return void problem('structure', 'has both `task` and `fragment`; a section is one or the other', fragE);
  if (!taskE && !fragE) return void problem('structure', 'names no task: add `task = NAME`');

  const original = schedule.format === 'original';
  let runBackup = false;
  const rb = at('run_backup');
  if (rb) {
    const b = parseIniBool(rb.value);
    if (b === undefined) problem('bad-value', `expected True or False, got "${rb.value}"`, rb);
    else runBackup = b;
    if (original && b === false)
      warn(
        'python-bool',
        `the original backed up after this task all the same (Python's bool("${rb.value}") is True, and the flag carried over to the sections after it); icefat reads it as false: no backup after this task`,
        rb,
        s,
      );
  }
  const args = s.entries.filter((e) => !RESERVED.has(e.key));

  if (fragE) {
    const frag = findFragment(fragE.value);
    if (!frag) {
      const known = fragments.map((f) => f.name).join(', ');
      return void problem('unknown-task', `unknown fragment "${fragE.value}" (icefat knows: ${known})`, fragE);
    }
    const p = readParams(frag.name, frag.params, frag.positional, args, original, s, problem, warn);
    if (!p) return;
    const note = frag.note?.(p);
    if (note) warn('fragment', note, fragE, s);
    for (const part of frag.expand(p, s.name)) {
      const kind = findKind(cat, part.kind);
      if (!kind)
        return void problem('unknown-task', `fragment ${frag.name} needs task kind ${part.kind}, which icefat does not have`, fragE);
      const params = readParams(kind.name, kind.params, kind.positional, toEntries(part.params, fragE.line), false, s, problem, warn);
      if (!params) return;
      addTask(schedule, { section: part.title, kind: kind.name, params, runBackup: part.runBackup, line: s.line });
    }
    return;
  }

  const name = taskE!.value.trim();
  const kind = findKind(cat, name);
  if (!kind) {
    const near = closestNames(cat, name);
    const hint = near.length
      ? `did you mean ${near.join(', ')}?`
      : `known tasks: ${kindsOf(cat)
          .map((k) => k.name)
          .join(', ')}`;
    return void problem('unknown-task', `unknown task "${name}"; ${hint}`, taskE);
  }
  const params = readParams(kind.name, kind.params, kind.positional, args, original, s, problem, warn);
  if (!params) return;
  addTask(schedule, { section: s.name, kind: kind.name, params, runBackup, line: s.line });
}

function addTask(schedule: Schedule, t: Omit<ScheduleTask, 'index'>): void {
  schedule.tasks.push({ index: schedule.tasks.length, ...t });
}

function toEntries(params: Record<string, unknown>, line: number): IniEntry[] {
  return Object.entries(params).map(([key, v]) => ({ key, value: String(v), line }));
}

type Problem = (code: ProblemCode, message: string, e?: IniEntry, kind?: string) => void;

/**
 * Parameters of one section through the kind's schema: by name (icefat), or by position against
 * the original's signature (its files; positional.ts).
 */
function readParams(
  kindName: string,
  schema: TaskKind['params'],
  positionalNames: string[],
  args: IniEntry[],
  positional: boolean,
  section: IniSection,
  problem: Problem,
  warn: Warn,
): Record<string, unknown> | undefined {
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : undefined;
  const known = shape ? Object.keys(shape) : positionalNames;
  let entryOf = new Map<string, IniEntry>();
  let ok = true;
  if (positional) {
    const r = readPositional(kindName, positionalNames, args, section, warn);
    for (const p of r.problems) problem(p.code, p.message, p.entry, kindName);
    ok = r.problems.length === 0;
    entryOf = r.entryOf;
  } else {
    for (const e of args) {
      if (!known.includes(e.key)) {
        ok = false;
        problem(
          'unknown-parameter',
          `${kindName} has no parameter "${e.key}" (its parameters: ${known.length ? known.join(', ') : 'none'})`,
          e,
          kindName,
        );
      } else entryOf.set(e.key, e);
    }
  }
  const raw = Object.fromEntries([...entryOf].map(([name, e]) => [name, e.value]));
  const r = schema.safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const name = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
      const e = name === undefined ? undefined : entryOf.get(name);
      const as = e && e.key !== name ? ` (argument ${name} of ${kindName})` : '';
      if (name !== undefined && !e)
        problem('bad-value', `missing, ${kindName} needs it`, { key: name, value: '', line: section.line }, kindName);
      else problem('bad-value', issue.message + as, e, kindName);
    }
    return undefined;
  }
  return ok ? r.data : undefined;
}

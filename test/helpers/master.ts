import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_HEAP_ARGS } from '../../src/util/node-heap.js';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { TEST_ENV, type FatResult } from './fat-cli.js';

/**
 * Helpers for the end-to-end tests of `fat master`: schedule files written by hand in icefat's
 * INI format, a master running in the background (to be answered, interrupted or killed), and
 * read-only looks at what a user would inspect afterwards (the store, the run file).
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/fat.js');

export type Section = { name: string; task: string; backup?: boolean } & Record<string, string | number | boolean | undefined>;

/** Writes `<home>/<name>.ini` for run 1 (or `runFile`) and returns its path. */
export function writeSchedule(
  home: string,
  name: string,
  sections: Section[],
  runFile = path.join(home, 'json/run/run_00001.json'),
): string {
  const lines = ['[constants]', `run_file = ${runFile}`, 'verbose = True'];
  for (const s of sections) {
    lines.push('', `[${s.name}]`, `task = ${s.task}`);
    for (const [k, v] of Object.entries(s)) {
      if (k === 'name' || k === 'task' || k === 'backup' || v === undefined) continue;
      lines.push(`${k} = ${String(v)}`);
    }
    if (s.backup) lines.push('run_backup = True');
  }
  const file = path.join(home, `${name}.ini`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface Background {
  child: ChildProcess;
  /** stdout + stderr so far */
  output(): string;
  done: Promise<FatResult>;
}

/** Starts `fat` without waiting for it (no TTY: the master asks nothing at its terminal). */
export function spawnFat(home: string, args: string[], env: Record<string, string> = {}): Background {
  const child = spawn(process.execPath, [...NODE_HEAP_ARGS, BIN, '--home', home, ...args], {
    env: { ...process.env, ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<FatResult>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code: code ?? (sig === 'SIGKILL' ? 137 : 1), stdout, stderr })),
  );
  return { child, output: () => stdout + stderr, done };
}

/** Polls until `check` returns a truthy value (wall time). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
    } catch {
      // the store may be locked for an instant, a file half-written: look again
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A read-only query of the home's store (opened and closed per call, so no lock is held). */
export function query<T = Record<string, unknown>>(home: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(home, 'fat.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function runJson(home: string, run = 1): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(home, `json/run/run_${String(run).padStart(5, '0')}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
}

export function deggJson(home: string, serial: string, run = 1): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(runJson(home, run)[serial] as string, 'utf8')) as Record<string, unknown>;
}

/** Counts the `<name>_NN` entries of every D-Egg file of the run, by serial. */
export function entryCounts(home: string, name: string, serials: string[], run = 1): Record<string, number> {
  const re = new RegExp(`^${name}_\\d\\d$`);
  return Object.fromEntries(serials.map((s) => [s, Object.keys(deggJson(home, s, run)).filter((k) => re.test(k)).length]));
}

/** Every "[i] section" of the MasterFAT entry, with its state. */
export function masterStates(home: string, key = 'MasterFAT_00', run = 1): Record<string, unknown> {
  const entry = (runJson(home, run)[key] ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(entry).filter(([k]) => /^\[\d+\] /.test(k)));
}

/** `fat setup` and `fat run new` on a fresh home: run 1 with all 16 modules. */
export async function setupRun(run: (args: string[]) => Promise<FatResult>): Promise<void> {
  const setup = await run(['setup']);
  expect(setup.code, setup.stdout + setup.stderr).toBe(0);
  const made = await run(['run', 'new', '--comment', 'x']);
  expect(made.code, made.stdout + made.stderr).toBe(0);
}

/** The open prompt of the store, if any. */
export function openPrompt(home: string): { id: number; message: string; task_id: number } | undefined {
  return query<{ id: number; message: string; task_id: number }>(
    home,
    'select id, message, task_id from prompts where answered_at is null order by id desc limit 1',
  )[0];
}

import type { z } from 'zod';
import type { Workspace } from '../station/workspace.js';
import type { TaskRecord } from '../records/task-record.js';
import type { LabPlugs } from '../station/lab-plugs.js';
import type { FatEvent } from '../station/events.js';

/**
 * A task kind: the static description a schedule refers to (its parameters, their original
 * positional order, how long it takes) and how it runs. The engine interprets schedules made of
 * these; a kind knows nothing of schedules, journals or resumption.
 */
export interface ActiveModule {
  port: number;
  serial: string;
  wirePair: number;
  jsonFile: string;
}

export interface PromptAnswer {
  answer: 'yes' | 'no';
  reason: string | null;
  answeredBy: string;
  via: string;
}

export interface TaskContext {
  ws: Workspace;
  /**
   * What this task puts on record (document entries, result rows): committed by the engine with
   * the task's end in one transaction, or not at all when the task is interrupted
   */
  record: TaskRecord;
  /**
   * The lab's shared instruments (function generator, filter wheels, thermometer, freezer),
   * connected on first use and torn down by the engine when the task ends, the laser off first
   */
  lab: LabPlugs;
  run: { id: number; number: number; runFile: string };
  /** modules still in the run (not excluded) */
  modules: ActiveModule[];
  task: { id: number; index: number; section: string; kind: string; attempt: number };
  /** true when this task runs after a crash or restart: re-establish instrument state, trust nothing */
  recovering: boolean;
  signal: AbortSignal;
  /** 0..1 and a note; also feeds the watchdog */
  progress(fraction: number, note?: string): void;
  emit(e: Omit<FatEvent, 'timeMs' | 'runId'>): void;
  /**
   * A durable question to a person. Resolves with the answer; a "no" is returned too, the caller
   * decides (manual_input stops the run).
   */
  prompt(kind: string, message: string): Promise<PromptAnswer>;
  excludeModule(port: number, reason: string): Promise<void>;
}

export interface TaskKind<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  /** names the original system used for this task (function names in its INI files) */
  aliases?: string[];
  summary: string;
  params: z.ZodType<P>;
  /** the original's positional argument order after run_file, for its INI files */
  positional: Array<keyof P & string>;
  /**
   * The quantities this kind records as results, by their goalpost names (config/goalposts.toml
   * gives each its units, description and limits). The record refuses none, but one the kind
   * does not declare is reported as a fault of icefat; `fat measure --help` lists them.
   */
  quantities?: readonly string[];
  /** estimated lab seconds for `modules` modules */
  estimateS(p: P, modules: number): number;
  /** when set, a person is needed: the text says for what (shown in forecasts) */
  needsPerson?(p: P, ws: Workspace): string | undefined;
  /**
   * Keeps a FAT going between measurements (waits, status checks, prompts, the freezer, reboots):
   * the master neither waits for disk space before it nor runs a status check ahead of it.
   */
  housekeeping?: boolean;
  /** acts on the lab itself (the freezer, the laser): never held back by the lab conditions */
  actsOnLab?: boolean;
  /** asks a person and waits for the answer: never held back by the lab conditions */
  asksPerson?: boolean;
  /**
   * Shown in the condensed schedule of the start message and of `--test`; unset: every kind but
   * housekeeping is. Routine monitoring and analyses are left out, prompts and freezer changes kept.
   */
  listed?: boolean;
  run(ctx: TaskContext, p: P): Promise<Record<string, unknown> | void>;
}

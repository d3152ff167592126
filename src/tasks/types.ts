import type { z } from 'zod';
import type { Workspace } from '../fat/home.js';
import type { FatEvent } from '../notify/types.js';

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
  /** estimated lab seconds for `modules` modules */
  estimateS(p: P, modules: number): number;
  /** when set, a person is needed: the text says for what (shown in forecasts) */
  needsPerson?(p: P, ws: Workspace): string | undefined;
  run(ctx: TaskContext, p: P): Promise<Record<string, unknown> | void>;
}

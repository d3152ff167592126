import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import type { StoreOptions } from '../store/open.js';

/** Any commander command: only its global options are read here. */
export interface AnyCommand {
  optsWithGlobals(): object;
}

/** The home folder chosen by the global --home option, $FAT_HOME or ./fat-home. */
export function homeDir(cmd: AnyCommand): string {
  const globals = cmd.optsWithGlobals() as { home?: string };
  return path.resolve(globals.home ?? process.env.FAT_HOME ?? 'fat-home');
}

/** Runs `fn` with the workspace open and closes it afterwards, whatever happens. */
export async function withWorkspace<T>(cmd: AnyCommand, fn: (ws: Workspace) => Promise<T>, store?: StoreOptions): Promise<T> {
  const { openWorkspace } = await import('../station/workspace.js');
  const ws = await openWorkspace(homeDir(cmd), undefined, store);
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}

/** Prints either the JSON form or the human lines of a result. */
export function emit(json: boolean | undefined, value: unknown, human: () => string | string[]): void {
  if (json) {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  const out = human();
  process.stdout.write((Array.isArray(out) ? out.join('\n') : out) + '\n');
}

/** An error whose message is the whole story for the operator (no stack trace needed). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

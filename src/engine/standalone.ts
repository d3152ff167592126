import type { Workspace } from '../station/workspace.js';
import { eventRow } from '../notify/store-sink.js';
import type { FatEvent } from '../station/events.js';
import type { ActiveModule, TaskContext } from '../tasks/types.js';
import { TaskRecord } from '../records/task-record.js';
import { LabPlugs } from '../station/lab-plugs.js';

/**
 * A task context for running one task kind outside a schedule (`fat measure ...`): the same
 * records as under the master (events in the store, module exclusions), but no journal, no
 * watchdog and nobody to answer a prompt.
 */
export interface StandaloneOptions {
  run: { id: number; number: number; runFile: string };
  modules: ActiveModule[];
  kind: string;
  /** the kind's declared quantities (`TaskKind.quantities`) */
  quantities?: readonly string[];
  signal?: AbortSignal;
  /** progress lines for the terminal */
  onProgress?: (fraction: number, note: string) => void;
  /** every event, after it is stored (default: one line on stderr) */
  onEvent?: (e: FatEvent) => void;
}

export function standaloneContext(ws: Workspace, o: StandaloneOptions): TaskContext & { flush(): Promise<void> } {
  const record = new TaskRecord(ws, { runId: o.run.id, taskId: null }).declare(o.kind, o.quantities);
  const signal = o.signal ?? new AbortController().signal;
  const lab = new LabPlugs(ws.station, ws.clock);
  const modules = [...o.modules];
  const pending: Array<Promise<unknown>> = [];
  const emit = (e: Omit<FatEvent, 'timeMs' | 'runId'>) => {
    const ev: FatEvent = { ...e, timeMs: ws.clock.now(), runId: o.run.id };
    pending.push(
      ws.db
        .insertInto('events')
        .values(eventRow(ws.station.name, ev))
        .execute()
        .catch(() => undefined),
    );
    (o.onEvent ?? ((x: FatEvent) => process.stderr.write(`${x.level === 'info' ? '' : `${x.level.toUpperCase()}: `}${x.message}\n`)))(ev);
  };
  return {
    /**
     * puts what the measurement staged on record (unless it was interrupted) and waits for the
     * events stored so far: call it when the kind has returned or thrown, before closing the workspace
     */
    flush: async () => {
      try {
        const undeclared = record.undeclaredNote();
        if (undeclared) emit({ level: 'error', kind: 'result.undeclared', message: undeclared, audience: 'people' });
        if (!signal.aborted) await record.commitAlone();
      } finally {
        for (const problem of await lab.close()) emit({ level: 'error', kind: 'lab.teardown', message: problem, audience: 'people' });
        await Promise.all(pending);
      }
    },
    ws,
    record,
    lab,
    run: o.run,
    modules,
    task: { id: 0, index: -1, section: `standalone ${o.kind}`, kind: o.kind, attempt: 1 },
    recovering: false,
    signal,
    progress: (fraction, note = '') => o.onProgress?.(fraction, note),
    emit,
    prompt: () => Promise.reject(new Error(`${o.kind}: prompts are not available outside the master (run it in a schedule)`)),
    excludeModule: async (port, reason) => {
      await ws.db
        .updateTable('modules')
        .set({ state: 'excluded', state_reason: reason })
        .where('run_id', '=', o.run.id)
        .where('port', '=', port)
        .execute();
      const i = modules.findIndex((m) => m.port === port);
      if (i >= 0) modules.splice(i, 1);
      emit({
        level: 'warn',
        kind: 'module.excluded',
        message: `D-Egg on port ${port} is excluded from the rest of the run: ${reason}`,
        audience: 'people',
        data: { port, reason },
      });
    },
  };
}

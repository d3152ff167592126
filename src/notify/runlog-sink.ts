import path from 'node:path';
import pino from 'pino';
import type { Workspace } from '../station/workspace.js';
import type { EventSink } from '../station/events.js';

/**
 * The per-run log file, `<home>/logs/run_NNNNN.log`: what the seed got from `screen -L`, as JSON
 * lines. Every master process of the run appends to the same file, so a recovered run reads as
 * one story; writes are synchronous so a `kill -9` or a power cut loses at most the line being
 * written.
 */
export function runLogPath(ws: Pick<Workspace, 'home'>, runNumber: number | null): string {
  const name = runNumber === null ? 'station.log' : `run_${String(runNumber).padStart(5, '0')}.log`;
  return path.join(ws.home.logsDir, name);
}

export interface RunLogSink extends EventSink {
  readonly file: string;
  close(): Promise<void>;
}

export function createRunLogSink(file: string, station: string): RunLogSink {
  const dest = pino.destination({ dest: file, append: true, sync: true, mkdir: true });
  // pino stamps a line when it is written; the event's own (lab) time is the one that matters
  let timeIso = '';
  const log = pino(
    {
      level: 'debug',
      customLevels: { critical: 60 },
      base: { pid: process.pid, station },
      timestamp: () => `,"time":"${timeIso}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  let closed = false;
  return {
    file,
    emit(e) {
      if (closed) return;
      timeIso = new Date(e.timeMs).toISOString();
      const fields: Record<string, unknown> = { kind: e.kind, runId: e.runId };
      if (e.audience) fields.audience = e.audience;
      if (e.detail) fields.detail = e.detail;
      if (e.data) fields.data = e.data;
      log[e.level](fields, e.message);
    },
    async close() {
      if (closed) return;
      closed = true;
      dest.flushSync();
      dest.end();
    },
  };
}

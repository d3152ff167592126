import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints of a long-running writer (the master) in a thread of their own. A checkpoint
 * copies the pages committed since the last one into the database file and syncs it: ~15 ms
 * every ~1000 pages, and far more when the pages have piled up. Left to SQLite it runs inside
 * whichever commit crosses the threshold, on the event loop that also serves the instruments
 * (bench/store.ts: a fifth of the time a monitoring task's samples take to commit). Here a worker
 * with a connection of its own runs a PASSIVE checkpoint every CHECKPOINT_EVERY_MS, which never
 * waits for or blocks a writer; the writer keeps SQLite's own checkpoint only as a safety net,
 * far out (SAFETY_NET_PAGES), for when the worker cannot keep up, and whole again when the worker
 * is gone (`onGone`).
 *
 * The worker is plain JavaScript run from this text (no file to find next to compiled or
 * TypeScript sources) and loads the same SQLite library as the writer.
 */
export const CHECKPOINT_EVERY_MS = 200;
/** the writer's own automatic checkpoint, in pages of WAL (~40 MB) */
export const SAFETY_NET_PAGES = 10_000;
/** SQLite's own threshold (its default), which the writer goes back to when the worker is gone */
export const SQLITE_DEFAULT_PAGES = 1000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { file, library, modulePath, everyMs } = workerData;
let db;
if (library === 'node:sqlite') db = new (require('node:sqlite').DatabaseSync)(file);
else db = new (require(modulePath))(file, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.all();
  } catch {
    // a full disk, a locked file: the next turn tries again, and the writer's safety net is still there
  }
}, everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker after its current checkpoint and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` (a database in WAL mode) in a worker, with `library` as the writer
 * uses; `onGone` is called if the worker fails (it could not open the file, its thread died).
 */
export function startCheckpointer(file: string, library: string, onGone: (e: Error) => void): Checkpointer {
  const modulePath = library === 'node:sqlite' ? '' : createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, library, modulePath, everyMs: CHECKPOINT_EVERY_MS } });
  // it does not keep the process alive, only its end once stop() awaits it
  worker.unref();
  worker.on('error', onGone);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      if (!stopping) {
        worker.ref();
        worker.postMessage('stop');
        stopping = exited;
      }
      return stopping;
    },
  };
}

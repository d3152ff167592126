import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A copy of a SQLite store as one moment, made in a thread of its own. SQLite copies every page in
 * one backup step (between steps another connection's write would restart it, and a master that
 * writes every second could keep it restarting forever); on the event loop that step held the
 * master's instruments for as long as copying the whole file took, at every snapshot. In WAL mode
 * the step holds only a read snapshot, so the master goes on writing meanwhile. The copy is made
 * self-contained (journal_mode DELETE: no -wal beside it).
 *
 * The worker is plain JavaScript run from this text (as sqlite-checkpointer.ts's) and uses the
 * same SQLite library as the store.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { source, target, library, modulePath } = workerData;
async function copy() {
  if (library === 'node:sqlite') {
    const sqlite = require('node:sqlite');
    // node:sqlite has no fileMustExist: opening would create an empty database
    if (!require('node:fs').existsSync(source)) throw new Error('unable to open database file: ' + source + ' does not exist');
    const db = new sqlite.DatabaseSync(source);
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      await sqlite.backup(db, target, { rate: -1 });
    } finally {
      db.close();
    }
    const c = new sqlite.DatabaseSync(target);
    try {
      c.exec('PRAGMA journal_mode = DELETE');
    } finally {
      c.close();
    }
    return;
  }
  const Better = require(modulePath);
  const db = new Better(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(target, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
  const c = new Better(target);
  try {
    c.pragma('journal_mode = DELETE');
  } finally {
    c.close();
  }
}
copy().then(
  () => parentPort.postMessage({}),
  (e) => parentPort.postMessage({ error: { message: e instanceof Error ? e.message : String(e), code: e?.code, errcode: e?.errcode } }),
);
`;

interface Reply {
  error?: { message: string; code?: string; errcode?: number };
}

/**
 * Copies the SQLite database `source` into the new file `target` with `library` (the store's,
 * `sqliteLibrary()`); resolves once the copy is complete and closed. A failure rejects naming both
 * files, with the library's message and its `code`/`errcode` (a full disk stays recognisable:
 * isFullError).
 */
export function backupSqliteFile(source: string, target: string, library: string): Promise<void> {
  const modulePath = library === 'node:sqlite' ? '' : createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise<void>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { source, target, library, modulePath } });
    let answered = false;
    worker.once('message', (m: Reply) => {
      answered = true;
      if (!m.error) return resolve();
      const { message, code, errcode } = m.error;
      const e = new Error(`copying the store ${source} into ${target}: ${message}`);
      reject(Object.assign(e, code === undefined ? {} : { code }, errcode === undefined ? {} : { errcode }));
    });
    worker.once('error', (e) => {
      if (answered) return;
      answered = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the SQLite backup thread ended (exit code ${code}) before copying ${source}`));
    });
  });
}

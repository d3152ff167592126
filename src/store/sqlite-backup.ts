import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A copy of a SQLite store as one moment, made in a thread of its own: SQLite's VACUUM INTO, which
 * writes the store as of one read snapshot into a new file (in WAL mode the master goes on writing
 * meanwhile; the backup API's steps would restart at each of its writes unless the whole file went
 * in one step). On the event loop the copy held the master's instruments for as long as copying the
 * whole file took, at every snapshot. Both connections' page caches are kept small: the backup
 * API's one step filled the source's and the copy's caches, 16 MB each with better-sqlite3, ~32 MB
 * on top of the master's peak memory at every snapshot (bench/standard-fat.ts). The copy is made
 * self-contained (journal_mode DELETE: no -wal beside it).
 *
 * The worker is plain JavaScript run from this text (as sqlite-checkpointer.ts's) and uses the
 * same SQLite library as the store.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { source, target, library, modulePath } = workerData;
function open(file) {
  if (library !== 'node:sqlite') return new (require(modulePath))(file, { fileMustExist: true });
  // node:sqlite has no fileMustExist: opening would create an empty database
  if (!require('node:fs').existsSync(file)) throw new Error('unable to open database file: ' + file + ' does not exist');
  return new (require('node:sqlite').DatabaseSync)(file);
}
async function copy() {
  const db = open(source);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    // VACUUM INTO gives the copy's connection this cache too: ~1 MB each instead of 16 MB each
    // (better-sqlite3's default), which a backup step filled for as long as it ran
    db.exec('PRAGMA cache_size = -1024');
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
  const c = open(target);
  try {
    c.exec('PRAGMA journal_mode = DELETE');
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

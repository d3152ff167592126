import { Worker } from 'node:worker_threads';

/**
 * A snapshot's manifest, made in a thread of its own: the sha256 of the snapshot's own files (its
 * copy of the store, hundreds of MB late in a FAT, and the run's JSON), a stat of every raw file
 * (tens of thousands), a sha256 of those new or changed since the hash cache last saw them, and
 * the manifest's and the cache's lines, written as they are made. On the event loop (with a turn
 * every few dozen raw files) the stats took ~25 s of the master's main thread over the standard
 * FAT and the hashes ~11 s (bench/standard-fat.ts, profiled), time in which no instrument's reply
 * was read.
 *
 * The thread writes the two files' temporary siblings (`manifestTmp`, `cacheTmp`), each flushed to
 * disk; the caller renames them into place (util/atomic-write.ts's order: the cache first, the
 * manifest last). The cache: a line per raw file, `path TAB size TAB mtimeMs TAB sha256`, sorted as
 * the listing is, read alongside it; a line that does not parse is left out (it costs a hash). The
 * worker is plain JavaScript run from this text (as store/sqlite-checkpointer.ts's).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { dataDir, files, cacheFile, manifestTmp, cacheTmp, head, snapshotDir, snapshotFiles } = workerData;

function* cacheLines() {
  let text;
  try {
    text = fs.readFileSync(cacheFile, 'utf8');
  } catch {
    return; // no cache yet: every file is hashed
  }
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split('\\t');
    at = end + 1;
    if (f.length === 4 && /^[0-9a-f]{64}$/.test(f[3])) yield { path: f[0], size: Number(f[1]), mtimeMs: Number(f[2]), sha256: f[3] };
  }
}

const chunk = Buffer.allocUnsafe(1 << 20);
function sha256(file) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** a file written in pieces of ~64 kB, flushed to disk at the end */
function writer(file) {
  const fd = fs.openSync(file, 'w');
  let parts = [];
  let size = 0;
  const flush = () => {
    if (parts.length) fs.writeSync(fd, parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= 65536) flush();
    },
    end() {
      flush();
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    },
    close() {
      try { fs.closeSync(fd); } catch {}
    },
  };
}

let manifest, cache;
try {
  // the snapshot's own files (the store's copy, the run's JSON), hashed here too: the store's copy is the biggest file of all
  const own = snapshotFiles.map((rel) => {
    const file = path.join(snapshotDir, rel);
    return { path: rel, size: fs.statSync(file).size, sha256: sha256(file) };
  });
  const start = JSON.stringify({ ...head, files: own, raw_data: [] }, null, 2);
  if (!start.endsWith('"raw_data": []\\n}')) throw new Error('manifest: raw_data is not its last field');
  const prefix = start.slice(0, -4) + '[\\n';
  manifest = writer(manifestTmp);
  cache = writer(cacheTmp);
  const cached = cacheLines();
  let hit = cached.next();
  let count = 0;
  for (const rel of files) {
    const file = path.join(dataDir, rel);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) continue; // removed since the listing
    while (!hit.done && hit.value.path < rel) hit = cached.next();
    const h = hit.done ? undefined : hit.value;
    const sum = h && h.path === rel && h.size === st.size && h.mtimeMs === st.mtimeMs ? h.sha256 : sha256(file);
    // a name with a tab or a line break is hashed every time rather than cached
    if (!/[\\t\\n\\r]/.test(rel)) cache.write(rel + '\\t' + st.size + '\\t' + st.mtimeMs + '\\t' + sum + '\\n');
    // a RawEntry as JSON.stringify(manifest, null, 2) writes it
    manifest.write(
      (count++ ? ',\\n' : prefix) +
        '    {\\n      "path": ' + JSON.stringify(rel) + ',\\n      "size": ' + st.size + ',\\n      "sha256": "' + sum +
        '",\\n      "mtime": "' + st.mtime.toISOString() + '"\\n    }',
    );
  }
  manifest.write(count ? '\\n  ]\\n}\\n' : start + '\\n');
  cache.end();
  manifest.end();
  parentPort.postMessage({ count, files: own });
} catch (e) {
  manifest?.close();
  cache?.close();
  parentPort.postMessage({ error: { message: e.message, code: e.code, path: e.path } });
}
`;

/** A file of a snapshot as its manifest lists it. */
export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface ManifestJob {
  /** the manifest's fields before `files`, in their order (manifest.ts's `Manifest`) */
  head: object;
  /** the snapshot's folder and its own files (paths relative to it, the manifest left out), for `files` */
  snapshotDir: string;
  snapshotFiles: readonly string[];
  dataDir: string;
  /** the raw files, as `listFiles(dataDir)` lists them (sorted) */
  files: readonly string[];
  cacheFile: string;
  manifestTmp: string;
  cacheTmp: string;
}

/**
 * Runs `job` in a thread; resolves with the snapshot's own files as the manifest lists them and how
 * many raw files it lists, or rejects with the thread's error (its `code` and `path` kept).
 */
export function writeManifestInThread(job: ManifestJob): Promise<{ files: FileEntry[]; count: number }> {
  return new Promise((resolve, reject) => {
    // a young generation of 4 MB: the thread's garbage is many short strings, collected often
    const worker = new Worker(WORKER, { eval: true, workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let answered = false;
    worker.once('message', (m: { count: number; files: FileEntry[] } | { error: { message: string; code?: string; path?: string } }) => {
      answered = true;
      if ('count' in m) resolve(m);
      else reject(Object.assign(new Error(m.error.message), { code: m.error.code, path: m.error.path }));
    });
    worker.once('error', (e) => {
      answered = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the manifest's thread ended (exit code ${code}) before it answered`));
    });
  });
}

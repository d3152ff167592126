import fs from 'node:fs';
import path from 'node:path';
import { openAtomic } from '../../util/atomic-write.js';
import { listFiles, sha256File } from './files.js';

/**
 * manifest.json of a snapshot. It is written last: a snapshot folder without it is incomplete
 * (a crash while it was being taken) and is never sent.
 */
export interface Manifest {
  format: 'icefat-snapshot/1';
  station: string;
  run: { id: number; number: number };
  label: string;
  created_at: string;
  store: { kind: 'sqlite'; file: string; source: string } | { kind: 'postgres'; note: string };
  /** every file of the snapshot itself (paths relative to the snapshot folder), manifest excluded */
  files: FileEntry[];
  /** raw data under <home>/data (paths relative to it); listed, not copied */
  raw_data: RawEntry[];
}

export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface RawEntry extends FileEntry {
  mtime: string;
}

export const MANIFEST = 'manifest.json';

export async function describeFiles(dir: string, skip: (rel: string) => boolean = () => false): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for (const rel of listFiles(dir)) {
    if (skip(rel)) continue;
    const file = path.join(dir, rel);
    out.push({ path: rel, size: fs.statSync(file).size, sha256: await sha256File(file) });
  }
  return out;
}

/** raw files stat'ed between two turns of the event loop (~0.5 ms), so the master's I/O goes on */
const STATS_PER_TURN = 64;

/**
 * The hash cache: a line per raw file, `path TAB size TAB mtimeMs TAB sha256`, sorted as
 * `listFiles` sorts, so it is read alongside the listing, a line at a time.
 */
export const RAW_HASH_CACHE = '.raw-hash-cache.tsv';

interface CacheLine {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The cache's entries in their order (one text, no object per line); a line that does not parse is left out (it costs a hash). */
function* cacheLines(cacheFile: string): Generator<CacheLine, void, undefined> {
  let text: string;
  try {
    text = fs.readFileSync(cacheFile, 'utf8');
  } catch {
    return; // no cache yet: every file is hashed
  }
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split('\t');
    at = end + 1;
    if (f.length === 4 && /^[0-9a-f]{64}$/.test(f[3])) yield { path: f[0], size: Number(f[1]), mtimeMs: Number(f[2]), sha256: f[3] };
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes manifest.json into `dir`: `head`, then the raw data `files` (`listFiles(dataDir)`, taken
 * at the snapshot's moment) with their sha256, laid out as `JSON.stringify(manifest, null, 2)`
 * lays it out. A two-week FAT writes gigabytes and tens of thousands of files and takes hundreds
 * of snapshots, so hashes are remembered in `cacheFile` by (path, size, mtime) and only new or
 * changed files are read again; the manifest and the cache are written as they are made, never
 * held whole, and the event loop turns between every few dozen files. A corrupt or missing
 * cache only costs time. Returns how many raw files the manifest lists.
 */
export async function writeManifest(
  dir: string,
  head: Omit<Manifest, 'raw_data'>,
  dataDir: string,
  files: readonly string[],
  cacheFile: string,
): Promise<number> {
  const start = JSON.stringify({ ...head, raw_data: [] }, null, 2);
  if (!start.endsWith('"raw_data": []\n}')) throw new Error('manifest: raw_data is not its last field');
  const manifest = await openAtomic(path.join(dir, MANIFEST));
  const cache = await openAtomic(cacheFile);
  const cached = cacheLines(cacheFile);
  try {
    let hit = cached.next();
    let count = 0;
    for (const [i, rel] of files.entries()) {
      // stat'ed here rather than on libuv's threads: a promise per file cost the main thread 3x more
      if (i % STATS_PER_TURN === STATS_PER_TURN - 1) await nextTurn();
      const st = fs.statSync(path.join(dataDir, rel), { throwIfNoEntry: false });
      if (!st) continue; // removed since the listing
      while (!hit.done && hit.value.path < rel) hit = cached.next();
      const h = hit.done ? undefined : hit.value;
      const sha256 =
        h && h.path === rel && h.size === st.size && h.mtimeMs === st.mtimeMs ? h.sha256 : await sha256File(path.join(dataDir, rel));
      // a name with a tab or a line break is hashed every time rather than cached
      if (!/[\t\n\r]/.test(rel)) await cache.write(`${rel}\t${st.size}\t${st.mtimeMs}\t${sha256}\n`);
      // a RawEntry as JSON.stringify(manifest, null, 2) writes it
      await manifest.write(
        `${count++ ? ',\n' : `${start.slice(0, -4)}[\n`}    {\n      "path": ${JSON.stringify(rel)},\n      "size": ${st.size},\n      "sha256": "${sha256}",\n      "mtime": "${st.mtime.toISOString()}"\n    }`,
      );
    }
    await manifest.write(count ? '\n  ]\n}\n' : `${start}\n`);
    cached.return();
    // the cache is an optimisation; a snapshot must not fail for it
    await cache.commit().catch(() => undefined);
    // last: from here on the snapshot is complete
    await manifest.commit();
    return count;
  } catch (e) {
    cached.return();
    await cache.abort();
    await manifest.abort();
    throw e;
  }
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * The manifest without its raw data (which can be tens of thousands of entries): what sending a
 * snapshot needs. Undefined when the manifest is missing or unreadable.
 */
export function readManifestHead(dir: string): Omit<Manifest, 'raw_data'> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  // raw_data is the last field (writeManifest); an older layout is read whole
  const at = text.lastIndexOf(',\n  "raw_data": [');
  try {
    const head = JSON.parse(at > 0 ? `${text.slice(0, at)}\n}` : text) as Manifest;
    if (at < 0) delete (head as Partial<Manifest>).raw_data;
    return head;
  } catch {
    return undefined;
  }
}

/**
 * Checks a copied snapshot against its manifest by name and size (cheap on a network mount;
 * the sha256 are there for a full check at restore time). Returns what is wrong, or undefined.
 */
export function sizeMismatch(dir: string, m: Pick<Manifest, 'files'>): string | undefined {
  for (const f of m.files) {
    let size: number;
    try {
      size = fs.statSync(path.join(dir, f.path)).size;
    } catch {
      return `${f.path} is missing`;
    }
    if (size !== f.size) return `${f.path} has ${size} bytes, the manifest says ${f.size}`;
  }
  return undefined;
}

/**
 * Full check of a snapshot folder (staging or a copy at a folder destination): the manifest is
 * there and every file it lists has its size and sha256. Returns the problems; empty means good.
 */
export async function verifySnapshot(dir: string): Promise<string[]> {
  const m = readManifest(dir);
  if (!m) return [`${dir} has no readable ${MANIFEST}: it is not a complete snapshot`];
  const problems: string[] = [];
  for (const f of m.files) {
    const file = path.join(dir, f.path);
    if (!fs.existsSync(file)) {
      problems.push(`${f.path} is missing`);
      continue;
    }
    const size = fs.statSync(file).size;
    if (size !== f.size) problems.push(`${f.path} has ${size} bytes, the manifest says ${f.size}`);
    else if ((await sha256File(file)) !== f.sha256) problems.push(`${f.path} does not match its sha256`);
  }
  return problems;
}

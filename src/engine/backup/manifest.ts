import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
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

/** raw files stat'ed at once: their stats go to libuv's threads, beside the master's own work */
const STATS_AT_ONCE = 64;

/**
 * The hash cache: a line per raw file, `path TAB size TAB mtimeMs TAB sha256`, sorted as
 * `listFiles` sorts, so it is read alongside the listing without a map of every file.
 */
export const RAW_HASH_CACHE = '.raw-hash-cache.tsv';

/** The cache's entries in their order; a line that does not parse is left out (it costs a hash). */
function* cacheLines(text: string): Generator<{ path: string; size: number; mtimeMs: number; sha256: string }, void, undefined> {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split('\t');
    at = end + 1;
    if (f.length === 4 && /^[0-9a-f]{64}$/.test(f[3])) yield { path: f[0], size: Number(f[1]), mtimeMs: Number(f[2]), sha256: f[3] };
  }
}

/**
 * Lists the raw data with sha256 as the manifest's `raw_data` text (the entries of the JSON
 * array, laid out as `JSON.stringify(manifest, null, 2)` lays them out): `files` are the raw
 * files to describe (`listFiles(dataDir)`, taken when the snapshot was). A two-week FAT writes
 * gigabytes and tens of thousands of files and takes hundreds of snapshots, so hashes are
 * remembered in `cacheFile` by (path, size, mtime) and only new or changed files are read again;
 * the files are stat'ed many at a time on libuv's threads, and nothing holds an object per file.
 * A corrupt or missing cache only costs time.
 */
export async function describeRawData(
  dataDir: string,
  files: readonly string[],
  cacheFile: string,
): Promise<{ text: string; count: number }> {
  let text = '';
  try {
    text = fs.readFileSync(cacheFile, 'utf8');
  } catch {
    // no cache yet: every file is hashed
  }
  const cached = cacheLines(text);
  let hit = cached.next();
  const entries: string[] = [];
  const cache: string[] = [];
  for (let i = 0; i < files.length; i += STATS_AT_ONCE) {
    const some = files.slice(i, i + STATS_AT_ONCE);
    const stats = await Promise.all(some.map((rel) => fs.promises.stat(path.join(dataDir, rel)).catch(() => undefined)));
    for (const [k, rel] of some.entries()) {
      const st = stats[k];
      if (!st) continue; // removed since the listing
      while (!hit.done && hit.value.path < rel) hit = cached.next();
      const h = hit.done ? undefined : hit.value;
      const sha256 =
        h && h.path === rel && h.size === st.size && h.mtimeMs === st.mtimeMs ? h.sha256 : await sha256File(path.join(dataDir, rel));
      // a name with a tab or a line break is hashed every time rather than cached
      if (!/[\t\n\r]/.test(rel)) cache.push(`${rel}\t${st.size}\t${st.mtimeMs}\t${sha256}\n`);
      // a RawEntry as JSON.stringify(manifest, null, 2) writes it
      entries.push(
        `    {\n      "path": ${JSON.stringify(rel)},\n      "size": ${st.size},\n      "sha256": "${sha256}",\n      "mtime": "${st.mtime.toISOString()}"\n    }`,
      );
    }
  }
  try {
    writeFileAtomic(cacheFile, cache.join(''));
  } catch {
    // the cache is an optimisation; a snapshot must not fail for it
  }
  return { text: entries.join(',\n'), count: entries.length };
}

/**
 * The manifest's text: `JSON.stringify(manifest, null, 2)` with `raw_data` given as the text of
 * its entries (`describeRawData`), so the list of raw files is never an object per file.
 */
export function manifestText(head: Omit<Manifest, 'raw_data'>, rawData: string): string {
  const text = JSON.stringify({ ...head, raw_data: [] }, null, 2);
  if (!text.endsWith('"raw_data": []\n}')) throw new Error('manifest: raw_data is not its last field');
  return rawData ? `${text.slice(0, -4)}[\n${rawData}\n  ]\n}\n` : `${text}\n`;
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
  // raw_data is the last field (manifestText); an older layout is read whole
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

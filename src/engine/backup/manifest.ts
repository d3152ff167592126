import fs from 'node:fs';
import path from 'node:path';
import { diskFullOr } from '../../util/disk-space.js';
import { listFiles, sha256File } from './files.js';
import { writeManifestInThread, type FileEntry } from './manifest-thread.js';

export type { FileEntry };

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

export interface RawEntry extends FileEntry {
  mtime: string;
}

export const MANIFEST = 'manifest.json';

/**
 * The hash cache of the raw files (engine/backup/manifest-thread.ts): a line per raw file,
 * `path TAB size TAB mtimeMs TAB sha256`, sorted as `listFiles` sorts.
 */
export const RAW_HASH_CACHE = '.raw-hash-cache.tsv';

/**
 * Writes manifest.json into `dir`: `head`, the snapshot's own files (everything in `dir`) with
 * their sha256, then the raw data `files` (`listFiles(dataDir)`, taken at the snapshot's moment)
 * with theirs, laid out as `JSON.stringify(manifest, null, 2)` lays it out. A two-week FAT writes
 * gigabytes and tens of thousands of files and takes hundreds of snapshots, so raw files' hashes
 * are remembered in `cacheFile` by (path, size, mtime) and only new or changed files are read
 * again; the manifest and the cache are written as they are made, never held whole, in a thread
 * of their own (manifest-thread.ts), not on the event loop. A corrupt or missing cache only costs
 * time. Returns the snapshot's own files and how many raw files the manifest lists.
 */
export async function writeManifest(
  dir: string,
  head: Omit<Manifest, 'files' | 'raw_data'>,
  dataDir: string,
  files: readonly string[],
  cacheFile: string,
): Promise<{ files: FileEntry[]; count: number }> {
  const target = path.join(dir, MANIFEST);
  const manifestTmp = `${target}.${process.pid}.tmp`;
  const cacheTmp = `${cacheFile}.${process.pid}.tmp`;
  const snapshotFiles = listFiles(dir).filter((rel) => rel !== MANIFEST);
  try {
    const made = await writeManifestInThread({ head, snapshotDir: dir, snapshotFiles, dataDir, files, cacheFile, manifestTmp, cacheTmp });
    // the cache is an optimisation; a snapshot must not fail for it
    await fs.promises.rename(cacheTmp, cacheFile).catch(() => undefined);
    // last: from here on the snapshot is complete
    await fs.promises.rename(manifestTmp, target);
    return made;
  } catch (e) {
    await fs.promises.rm(manifestTmp, { force: true });
    await fs.promises.rm(cacheTmp, { force: true });
    throw diskFullOr(e, target, dir);
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

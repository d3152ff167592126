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

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * Lists the raw data with sha256. A two-week FAT writes gigabytes and takes dozens of snapshots,
 * so hashes are remembered in `cacheFile` by (path, size, mtime) and only new or changed files
 * are read again. A corrupt or missing cache only costs time.
 */
export async function describeRawData(dataDir: string, cacheFile: string): Promise<RawEntry[]> {
  let cache: Record<string, CacheEntry>;
  try {
    cache = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    cache = {};
  }
  const next: Record<string, CacheEntry> = {};
  const out: RawEntry[] = [];
  for (const rel of listFiles(dataDir)) {
    const file = path.join(dataDir, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue; // removed while we walked
    }
    const hit = cache[rel];
    const sha256 = hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs ? hit.sha256 : await sha256File(file);
    next[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
    out.push({ path: rel, size: st.size, sha256, mtime: st.mtime.toISOString() });
  }
  try {
    writeFileAtomic(cacheFile, JSON.stringify(next));
  } catch {
    // the cache is an optimisation; a snapshot must not fail for it
  }
  return out;
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * Checks a copied snapshot against its manifest by name and size (cheap on a network mount;
 * the sha256 are there for a full check at restore time). Returns what is wrong, or undefined.
 */
export function sizeMismatch(dir: string, m: Manifest): string | undefined {
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

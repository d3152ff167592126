import fs from 'node:fs';
import path from 'node:path';

/**
 * Free space where a file goes, and the error a full disk gets. Writers (HDF5 through h5wasm,
 * SQLite, the JSON exports) fail on a full disk with messages that do not say so (a null
 * attribute, "cannot rollback"); they are turned into "disk full: PATH".
 */
export function freeBytes(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity; // the folder is gone or not a file system: not a full disk
  }
}

export class DiskFullError extends Error {
  constructor(path: string, free: number, cause?: unknown) {
    super(`disk full: ${path} (${Math.round(free / 1024)} KiB left): free space on that disk`, { cause });
    this.name = 'DiskFullError';
  }
}

/** below this a failed write is taken for a full disk (a file system keeps a little back) */
const NEARLY_FULL_BYTES = 2 * 1048576;

const isNoSpace = (e: unknown) => ['ENOSPC', 'EDQUOT'].includes((e as { code?: unknown } | null)?.code as string);

/** a full disk, whether a writer of icefat named it or the system did (ENOSPC from any write) */
export function isDiskFull(e: unknown): boolean {
  return e instanceof DiskFullError || isNoSpace(e);
}

/** `e` as a DiskFullError when it is one (ENOSPC, or any failure with the disk about full), else `e`. */
export function diskFullOr(e: unknown, path: string, dir: string): unknown {
  if (e instanceof DiskFullError) return e;
  const free = freeBytes(dir);
  return isNoSpace(e) || free < NEARLY_FULL_BYTES ? new DiskFullError(path, free, e) : e;
}

/** a system ENOSPC as a DiskFullError naming its file, or `dir` when the error names none (a write to an open file) */
export function namedDiskFull(e: unknown, dir: string): unknown {
  if (e instanceof DiskFullError || !isNoSpace(e)) return e;
  const file = (e as { path?: unknown }).path;
  return typeof file === 'string' ? new DiskFullError(file, freeBytes(path.dirname(file)), e) : new DiskFullError(dir, freeBytes(dir), e);
}

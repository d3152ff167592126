import fs from 'node:fs';

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
    super(`disk full: ${path} (${Math.round(free / 1024)} KiB left): free space on that disk, then continue with --recover`, { cause });
    this.name = 'DiskFullError';
  }
}

/** below this a failed write is taken for a full disk (a file system keeps a little back) */
const NEARLY_FULL_BYTES = 2 * 1048576;

/** `e` as a DiskFullError when it is one (ENOSPC, or any failure with the disk about full), else `e`. */
export function diskFullOr(e: unknown, path: string, dir: string): unknown {
  if (e instanceof DiskFullError) return e;
  const free = freeBytes(dir);
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || free < NEARLY_FULL_BYTES ? new DiskFullError(path, free, e) : e;
}

import fs from 'node:fs';
import path from 'node:path';
import { diskFullOr } from './disk-space.js';

/**
 * Writes a file so that a reader (or a crash) sees either the old content or the new, never a
 * half-written file: write a temporary sibling, flush it to disk, rename it over the target.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw diskFullOr(e, file, path.dirname(file));
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  // serialise first: a value that cannot be serialised must never replace a good file
  const text = JSON.stringify(value, null, 4) + '\n';
  writeFileAtomic(file, text);
}

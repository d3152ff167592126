import fs from 'node:fs';
import path from 'node:path';
import { diskFullOr } from './disk-space.js';

/**
 * Writes a file so that a reader (or a crash) sees either the old content or the new, never a
 * half-written file: write a temporary sibling, flush it to disk, rename it over the target.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
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

/**
 * As `writeFileAtomic`, written, flushed and renamed on libuv's threads: the event loop (the other
 * modules' instruments) goes on meanwhile. For the many image files of a camera measurement.
 */
export async function writeFileAtomicAsync(file: string, data: Uint8Array): Promise<void> {
  const tmp = tmpName(file);
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw diskFullOr(e, file, path.dirname(file));
  }
}

/** A sibling name no other write of this process uses at the same time. */
let tmpSeq = 0;
const tmpName = (file: string) => `${file}.${process.pid}.${++tmpSeq}.tmp`;

export function writeJsonAtomic(file: string, value: unknown): void {
  // serialise first: a value that cannot be serialised must never replace a good file
  const text = JSON.stringify(value, null, 4) + '\n';
  writeFileAtomic(file, text);
}

/** A file written piece by piece and put in place at once (`writeFileAtomic` for text too long to hold whole). */
export interface AtomicWriter {
  write(text: string): Promise<void>;
  /** flushes, syncs and renames over the target */
  commit(): Promise<void>;
  /** drops the temporary file (after a failure) */
  abort(): Promise<void>;
}

/** bytes gathered before a write */
const PIECE = 1 << 16;

export async function openAtomic(file: string): Promise<AtomicWriter> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = tmpName(file);
  const fh = await fs.promises.open(tmp, 'w');
  let parts: string[] = [];
  let size = 0;
  const flush = async () => {
    if (!parts.length) return;
    const text = parts.join('');
    parts = [];
    size = 0;
    await fh.write(text);
  };
  const failed = async (e: unknown) => {
    await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    return diskFullOr(e, file, path.dirname(file));
  };
  return {
    async write(text) {
      parts.push(text);
      size += text.length;
      if (size < PIECE) return;
      try {
        await flush();
      } catch (e) {
        throw await failed(e);
      }
    },
    async commit() {
      try {
        await flush();
        await fh.sync();
        await fh.close();
        await fs.promises.rename(tmp, file);
      } catch (e) {
        throw await failed(e);
      }
    },
    async abort() {
      await fh.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true });
    },
  };
}

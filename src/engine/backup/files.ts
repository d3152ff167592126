import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** sha256 of a file, read as a stream so a multi-gigabyte raw data file never sits in memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Every regular file under `dir`, as paths relative to it with '/' separators, sorted so two
 * manifests of the same tree are byte-identical. A missing folder has no files.
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Copies a folder tree file by file and flushes each file to disk, so that once the caller
 * renames the copy into place the content really is on the (possibly network) disk.
 */
export async function copyTreeDurably(src: string, dst: string): Promise<void> {
  for (const rel of listFiles(src)) {
    const to = path.join(dst, rel);
    await fs.promises.mkdir(path.dirname(to), { recursive: true });
    await fs.promises.copyFile(path.join(src, rel), to);
    const fh = await fs.promises.open(to, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  await fs.promises.mkdir(dst, { recursive: true }); // an empty source still yields a folder
}

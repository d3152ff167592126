import fs from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p` one level at a time. Node's `mkdirSync(dir, { recursive: true })` never returns on
 * some pseudo file systems (a folder under /proc/self answers ENOENT to mkdir while its parent
 * exists); here that is an error naming the folder.
 */
export function makeDir(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fs.statSync(dir).isDirectory()) return;
    const parent = path.dirname(dir);
    if (code === 'ENOENT' && parent !== dir && !fs.existsSync(parent)) {
      makeDir(parent);
      return makeDir(dir);
    }
    throw new Error(`cannot make the folder ${dir}: ${code === 'EEXIST' ? 'a file of that name is in the way' : (e as Error).message}`, {
      cause: e,
    });
  }
}

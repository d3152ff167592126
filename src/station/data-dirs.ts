import fs from 'node:fs';
import path from 'node:path';

/**
 * Raw data folders as the original's create_save_dir made them: <data>/<type>/YYYYMMDD_NN with NN
 * the first free number (two digits or more). Claimed with an exclusive mkdir, so two writers never
 * share one.
 */
export function newDataDir(dataDir: string, type: string, nowMs: number): string {
  const d = new Date(nowMs);
  const day = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  const parent = path.join(dataDir, type);
  fs.mkdirSync(parent, { recursive: true });
  // after 99 the number grows a digit (_100), as the original's %02d did: a busy lab day on a fast
  // clock must not stop the run
  const taken = new Set(fs.readdirSync(parent));
  for (let n = 0; ; n++) {
    const name = `${day}_${String(n).padStart(2, '0')}`;
    if (taken.has(name)) continue;
    try {
      fs.mkdirSync(path.join(parent, name));
      return path.join(parent, name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

import fs from 'node:fs';
import path from 'node:path';

/**
 * Raw data folders as the original's create_save_dir made them: <data>/<type>/YYYYMMDD_NN with NN
 * the first free number. Claimed with an exclusive mkdir, so two writers never share one.
 */
export function newDataDir(dataDir: string, type: string, nowMs: number): string {
  const d = new Date(nowMs);
  const day = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  const parent = path.join(dataDir, type);
  fs.mkdirSync(parent, { recursive: true });
  for (let n = 0; n < 100; n++) {
    const dir = path.join(parent, `${day}_${String(n).padStart(2, '0')}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`${parent} already has 100 folders for ${day}: clean up or archive old data`);
}

import fs from 'node:fs';
import path from 'node:path';
import { readDoc, updateDoc, type DocStore, type JsonDoc } from './json-docs.js';

/**
 * The run file's `MasterFAT_NN` entry, as the original wrote it: every task as "[i] section" with
 * -1 (not run yet), 1 (done) or 0 (failed), plus ConfigPath, Date and, at the end, end_time.
 * Unlike the original, a failure's 0 is written inside the entry, and the file is rewritten
 * atomically.
 */
export async function nextMasterKey(ws: DocStore, runFile: string): Promise<string> {
  const doc = await readDoc(ws, runFile);
  let n = 0;
  while (`MasterFAT_${String(n).padStart(2, '0')}` in doc) n++;
  return `MasterFAT_${String(n).padStart(2, '0')}`;
}

export const taskKey = (index: number, section: string) => `[${index}] ${section}`;

export function writeMasterEntry(
  ws: DocStore,
  runFile: string,
  key: string,
  tasks: Array<{ index: number; section: string; state: number }>,
  configPath: string,
  date: string,
): Promise<void> {
  return updateDoc(ws, runFile, (doc) => {
    const entry: Record<string, unknown> = {};
    for (const t of tasks) entry[taskKey(t.index, t.section)] = t.state;
    entry.ConfigPath = configPath;
    entry.Date = date;
    doc[key] = entry;
  });
}

/** The change of the run document that sets one task's state in the `key` entry (stage it on the task's record). */
export function taskStateChange(key: string, index: number, section: string, state: -1 | 0 | 1): (doc: JsonDoc) => void {
  return (doc) => {
    const entry = (doc[key] ?? {}) as Record<string, unknown>;
    entry[taskKey(index, section)] = state;
    doc[key] = entry;
  };
}

export function setMasterFields(
  ws: DocStore,
  runFile: string,
  key: string | undefined,
  fields: Record<string, unknown>,
  top: Record<string, unknown> = {},
): Promise<void> {
  return updateDoc(ws, runFile, (doc) => {
    if (key) doc[key] = { ...((doc[key] ?? {}) as Record<string, unknown>), ...fields };
    Object.assign(doc, top);
  });
}

/** Copies the schedule file next to the D-Egg files as `<name>_<k>.ini` (the original's config_arxiv). */
export function archiveConfig(configPath: string, runDir: string): string {
  fs.mkdirSync(runDir, { recursive: true });
  const base = path.basename(configPath, path.extname(configPath));
  for (let k = 0; ; k++) {
    const dest = path.join(runDir, `${base}_${k}.ini`);
    if (!fs.existsSync(dest)) {
      fs.copyFileSync(configPath, dest, fs.constants.COPYFILE_EXCL);
      return dest;
    }
  }
}

import { updateDoc, type DocStore, type JsonDoc } from './json-docs.js';

/**
 * Measurement entries of a D-Egg document, as the original wrote them: `<name>_NN` with the next
 * free two-digit counter (`create_key`), on a PMT or at the D-Egg's top level.
 */
export type PmtName = 'LowerPmt' | 'UpperPmt';

/** The key of entry `n` of `name`: `<name>_NN`. */
export const entryKey = (name: string, n: number): string => `${name}_${String(n).padStart(2, '0')}`;

export function nextKey(target: JsonDoc, name: string): string {
  let n = 0;
  while (entryKey(name, n) in target) n++;
  return entryKey(name, n);
}

/** Adds the entry to the D-Egg document in the store (and its export); returns its key. */
export function addEntry(ws: DocStore, file: string, name: string, entry: JsonDoc, pmt?: PmtName): Promise<string> {
  return updateDoc(ws, file, (doc) => {
    const target = pmt ? (doc[pmt] as JsonDoc | undefined) : doc;
    if (!target || typeof target !== 'object') throw new Error(`${file} has no ${pmt} section`);
    const key = nextKey(target, name);
    target[key] = entry;
    return key;
  });
}

/**
 * Marks the entries an earlier attempt of task `taskId` wrote (entries carry `TaskId`) that did
 * not finish as superseded, so the half-done measurement stays on record but is never read as the
 * latest result. Changes `doc` in place; returns the keys marked.
 */
export function supersedeTaskEntries(doc: JsonDoc, taskId: number, note: string): string[] {
  const marked: string[] = [];
  for (const [where, section] of [
    ['', doc],
    ['LowerPmt.', doc.LowerPmt],
    ['UpperPmt.', doc.UpperPmt],
  ] as const) {
    if (!section || typeof section !== 'object') continue;
    for (const [key, entry] of Object.entries(section as JsonDoc)) {
      const e = entry as JsonDoc | null;
      if (e && typeof e === 'object' && e.TaskId === taskId && e.Superseded === undefined) {
        e.Superseded = note;
        marked.push(where + key);
      }
    }
  }
  return marked;
}

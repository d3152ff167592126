import fs from 'node:fs';
import path from 'node:path';
import { inside, isObject, parseOriginalJson } from './import-json.js';

/**
 * The outcome of an STF run of the original (measure_stf.py, original-system.md §6.11): its D-Egg
 * entry `STF_NN` records only the folder of the result files, one JSON file per test item
 * ("PressureSensor_<...>.json") with `outcome` PASS, FAIL or ERROR. As the original's stf_ana counted
 * them, an item that failed or errored is a failed item.
 */
export interface StfOutcomes {
  folder: string;
  outcomes: Array<{ item: string; outcome: string }>;
  /** "RAPCal (ERROR)" */
  failed: string[];
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * A folder the original recorded, inside the imported folder (`boundary`): where it was, else at
 * the end of its recorded path (".../data/stf/results/DEgg2021-3-133/20230214_00" as
 * stf/results/DEgg2021-3-133/20230214_00 under the JSON root or the imported folder), the longest
 * such end first. A folder outside the imported folder is never looked into.
 */
export function locateFolder(recorded: string, root: string, boundary: string): string | undefined {
  const ok = (p: string) => (isDir(p) ? inside(boundary, p) : undefined);
  const as = ok(recorded);
  if (as) return as;
  const parts = recorded.split(/[\\/]/).filter((x) => x && x !== '..' && x !== '.');
  for (let k = parts.length - 1; k >= 2; k--)
    for (const base of [root, boundary]) {
      const found = ok(path.join(base, ...parts.slice(-k)));
      if (found) return found;
    }
  return undefined;
}

/** null when the entry names no folder (the run never finished: Folder "None"). */
export function stfOutcomes(recorded: unknown, root: string, boundary: string): StfOutcomes | { problem: string } | null {
  if (typeof recorded !== 'string' || recorded === 'None' || !recorded.trim()) return null;
  const folder = locateFolder(recorded, root, boundary);
  if (!folder)
    return {
      problem: `the STF result folder ${recorded} is not here (nor at the end of that path under ${root}): stf.failed_items not imported`,
    };
  const outcomes: StfOutcomes['outcomes'] = [];
  for (const f of fs
    .readdirSync(folder)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    let doc: unknown;
    try {
      doc = parseOriginalJson(fs.readFileSync(path.join(folder, f), 'utf8'));
    } catch (e) {
      return { problem: `${path.join(folder, f)} is not valid JSON (${(e as Error).message}): stf.failed_items not imported` };
    }
    if (isObject(doc) && typeof doc.outcome === 'string') outcomes.push({ item: f.replace(/\.json$/, ''), outcome: doc.outcome });
  }
  if (!outcomes.length) return { problem: `${folder} holds no STF result file (JSON with an "outcome"): stf.failed_items not imported` };
  const failed = outcomes.filter((o) => o.outcome === 'FAIL' || o.outcome === 'ERROR').map((o) => `${o.item} (${o.outcome})`);
  return { folder, outcomes, failed };
}

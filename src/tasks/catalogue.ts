import { housekeeping } from './housekeeping.js';
import { measurements } from './measurements.js';
import type { TaskKind } from './types.js';

/** Task kinds by name and by each alias (the same object under several keys). */
export type Catalogue = Map<string, TaskKind>;

/** Every task kind a schedule may name; `extra` kinds (tests) come first and win a name they share. */
export function catalogue(extra: TaskKind[] = []): Catalogue {
  const cat: Catalogue = new Map();
  for (const k of [...extra, ...housekeeping, ...measurements]) {
    if (cat.has(k.name)) continue;
    for (const n of [k.name, ...(k.aliases ?? [])]) if (!cat.has(n)) cat.set(n, k);
  }
  return cat;
}

/** Each kind once, in catalogue order. */
export function kindsOf(cat: Catalogue): TaskKind[] {
  return [...new Set(cat.values())];
}

export function findKind(cat: Catalogue, name: string): TaskKind | undefined {
  return cat.get(name.trim()) ?? cat.get(name.trim().toLowerCase());
}

/** Names (and aliases) close to a misspelt one, for "did you mean"; empty when nothing is close. */
export function closestNames(cat: Catalogue, name: string, n = 3): string[] {
  const q = name.trim().toLowerCase();
  const limit = Math.max(2, Math.floor(q.length / 3));
  return [...cat.keys()]
    .map((k) => ({ k, d: editDistance(q, k) - (q.length > 2 && (k.includes(q) || q.includes(k)) ? limit : 0) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, n)
    .map((x) => x.k);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Finding a measurement entry `<Name>_NN` in a D-Egg file (original-system.md §4.3) by the
 * original's `measurement_number` / `number`: 'latest' or NN.
 */

export type EntryNumber = 'latest' | number;

/** 'latest', or a number ("3", "03"); anything else is an error naming the parameter. */
export function parseEntryNumber(raw: string, param: string): EntryNumber {
  const t = raw.trim().toLowerCase();
  if (t === 'latest') return 'latest';
  if (/^\d{1,4}$/.test(t)) return Number(t);
  throw new Error(`${param} must be 'latest' or a measurement number such as 0 or 03, got "${raw}"`);
}

/** The keys `<name>_NN` of an object, in counter order. */
export function entryKeys(container: Record<string, unknown>, name: string): string[] {
  const re = new RegExp(`^${name}_(\\d+)$`);
  return Object.keys(container)
    .filter((k) => re.test(k))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]));
}

export interface FoundEntry {
  key: string;
  entry: Record<string, unknown>;
}

/**
 * The entry chosen by `number` among `<name>_NN` of `container`, or null when there is none.
 * 'latest' is the latest that `accept` takes (every entry by default) among those not superseded
 * by a later attempt of their task; a numbered entry is returned as it is, and the caller judges it.
 */
export function pickEntry(
  container: Record<string, unknown>,
  name: string,
  number: EntryNumber,
  accept: (entry: Record<string, unknown>) => boolean = () => true,
): FoundEntry | null {
  const entries = entryKeys(container, name)
    .map((key) => ({ key, entry: container[key] }))
    .filter((e): e is FoundEntry => !!e.entry && typeof e.entry === 'object');
  if (number !== 'latest') return entries.find((e) => Number(e.key.slice(name.length + 1)) === number) ?? null;
  const ok = entries.filter((e) => e.entry.Superseded === undefined && accept(e.entry));
  return ok[ok.length - 1] ?? null;
}

export const describeNumber = (n: EntryNumber) => (n === 'latest' ? 'the latest' : `number ${String(n).padStart(2, '0')}`);

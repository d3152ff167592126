import { readJsonFile } from '../fat/run-files.js';

/**
 * Finding a measurement entry `<Name>_NN` in a D-Egg file (original-system.md §4.3) by the
 * original's `measurement_number` / `number`: 'latest' or NN.
 */
export type PmtName = 'LowerPmt' | 'UpperPmt';
export const PMTS: readonly PmtName[] = ['LowerPmt', 'UpperPmt'];

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

/** The entry chosen by `number` among `<name>_NN` of `container`, or null when there is none. */
export function pickEntry(container: Record<string, unknown>, name: string, number: EntryNumber): FoundEntry | null {
  const keys = entryKeys(container, name);
  const key = number === 'latest' ? keys[keys.length - 1] : keys.find((k) => Number(k.slice(name.length + 1)) === number);
  if (!key) return null;
  const entry = container[key];
  return entry && typeof entry === 'object' ? { key, entry: entry as Record<string, unknown> } : null;
}

/** A PMT's section of a D-Egg file (empty when the file has none). */
export function pmtSection(jsonFile: string, pmt: PmtName): Record<string, unknown> {
  const sec = readJsonFile(jsonFile)[pmt];
  return sec && typeof sec === 'object' ? (sec as Record<string, unknown>) : {};
}

/** The PMT's serial from its section, or `<DEgg>-<PMT>` as the measurements name files without one. */
export function pmtSerialOf(jsonFile: string, deggSerial: string, pmt: PmtName): string {
  const sn = pmtSection(jsonFile, pmt).SerialNumber;
  return typeof sn === 'string' && sn ? sn : `${deggSerial}-${pmt}`;
}

export const describeNumber = (n: EntryNumber) => (n === 'latest' ? 'the latest' : `number ${String(n).padStart(2, '0')}`);

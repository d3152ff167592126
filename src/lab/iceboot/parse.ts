/**
 * Parsers for the text replies of iceboot words (iceboot-protocol.md §2.5, §3.1-3.4, §3.12).
 * Each returns undefined (or throws a ReplyFormatError saying what was expected) instead of
 * crashing on garbage, so the session can name the module and the command in its error.
 */

export class ReplyFormatError extends Error {
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
    this.name = 'ReplyFormatError';
  }
}

const STACK_RE = /^\s*<(\d+)>((?:[ \t]+-?\d+)*)[ \t]*$/;

/**
 * A `.s` dump, `<N> v1 v2 … ` (bottom of the stack first). The original's strip_stack dropped the
 * `<N>` token and int()ed the rest; this also checks that N values really follow.
 */
export function parseStack(text: string): number[] | undefined {
  const m = STACK_RE.exec(text);
  if (!m) return undefined;
  const values = m[2].trim() === '' ? [] : m[2].trim().split(/\s+/).map(Number);
  return values.length === Number(m[1]) ? values : undefined;
}

/** The value a `<word> .s drop` left on top of the stack. */
export function stackInt(text: string): number {
  const v = parseStack(text);
  if (!v || v.length === 0) throw new ReplyFormatError('an integer as a stack dump like "<1> 272 "');
  return v[v.length - 1];
}

export interface SloAdcReading {
  channel: number;
  name: string;
  value: number;
  unit: string;
  saturated: boolean;
}

export const SLO_ADC_FAIL = 'sloAdcReadChannel: FAIL';

/** One `sloAdcReadChannel` line: `channel  3 LVS_SLO_IMON_2V5   0 mA    SATURATED`. */
export function parseSloAdcLine(line: string): SloAdcReading {
  const t = line.trim().split(/\s+/);
  const channel = Number(t[1]);
  const value = Number(t[3]);
  if (t[0] !== 'channel' || t.length < 4 || !Number.isInteger(channel) || t[3] === '' || !Number.isFinite(value)) {
    throw new ReplyFormatError('a slow-ADC line like "channel  8 SLO_HVS0_VMON  1500.2 V"');
  }
  return { channel, name: t[2], value, unit: t[4] ?? '', saturated: t.includes('SATURATED') };
}

/** A float as the first token (pressure, sensor temperatures). */
export function firstFloat(text: string): number {
  const tok = text
    .trim()
    .split(/[\s,()]+/)
    .find((x) => x !== '');
  const v = tok === undefined ? NaN : Number(tok);
  if (!Number.isFinite(v)) throw new ReplyFormatError('a number');
  return v;
}

export type FlashFile = Record<string, string> & { Name: string };

/**
 * `flashLS`: a header line of column names (including `Name`), a separator line, then one line
 * per file with as many tokens as the header.
 */
export function parseFlashLs(text: string): FlashFile[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (!header.includes('Name')) throw new ReplyFormatError('a flashLS table whose first line names the columns, including "Name"');
  const files: FlashFile[] = [];
  for (const line of lines.slice(2)) {
    const t = line.trim().split(/\s+/);
    if (t.length !== header.length) continue;
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = t[i]));
    files.push(row as FlashFile);
  }
  return files;
}

/** Board types of `getBoardType` (iceboot-protocol.md §2.4). */
export const BOARD_TYPES: Record<number, string> = {
  96: 'pDOM',
  98: 'mDOM',
  113: 'DEgg',
  114: 'mDOMRev1',
  121: 'POCAM',
  126: 'Acoustic',
  127: 'Unmodified MMB',
};
export const DEGG_BOARD_TYPE = 113;
export const FPGA_UNCONFIGURED = 65535;

/**
 * Just enough IEEE 488.2 / SCPI for a simulated instrument: program headers in short or long form
 * with optional nodes and numeric suffixes, several commands per line separated by `;`, numbers
 * with unit suffixes and MIN/MAX, booleans, and the standard error numbers.
 */
export class ScpiError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code},"${text}"`);
  }
}

export const undefinedHeader = () => new ScpiError(-113, 'Undefined header');
export const missingParameter = () => new ScpiError(-109, 'Missing parameter');
export const dataTypeError = () => new ScpiError(-104, 'Data type error');
export const invalidSuffix = () => new ScpiError(-131, 'Invalid suffix');
export const illegalValue = () => new ScpiError(-224, 'Illegal parameter value');
export const outOfRange = () => new ScpiError(-222, 'Data out of range');

interface HeaderNode {
  long: string;
  short: string;
  optional: boolean;
  /** accepts a numeric suffix (only 1: a single-channel instrument) */
  suffix: boolean;
}

/**
 * Compiles a header pattern as the programming manuals write it, node by node:
 * `[SOURce#]:FREQuency:[FIXed]` — brackets mark an optional node, `#` a numeric suffix,
 * the upper-case letters the short form.
 */
export function compileHeader(pattern: string): HeaderNode[] {
  return pattern.split(':').map((raw) => {
    const optional = raw.startsWith('[') && raw.endsWith(']');
    let m = optional ? raw.slice(1, -1) : raw;
    const suffix = m.endsWith('#');
    if (suffix) m = m.slice(0, -1);
    return { long: m.toUpperCase(), short: m.replace(/[a-z]/g, ''), optional, suffix };
  });
}

function tokenMatches(token: string, node: HeaderNode): boolean {
  const m = /^(\*?[A-Z]+)(\d*)$/.exec(token);
  if (!m) return false;
  if (m[2] && !(node.suffix && Number(m[2]) === 1)) return false;
  return m[1] === node.long || m[1] === node.short;
}

function matchFrom(tokens: string[], i: number, nodes: HeaderNode[], j: number): boolean {
  if (j === nodes.length) return i === tokens.length;
  const node = nodes[j];
  if (i < tokens.length && tokenMatches(tokens[i], node) && matchFrom(tokens, i + 1, nodes, j + 1)) return true;
  return node.optional && matchFrom(tokens, i, nodes, j + 1);
}

/** True when the upper-cased header tokens (no `?`, no leading colon) fit the compiled pattern. */
export function headerMatches(tokens: string[], nodes: HeaderNode[]): boolean {
  return matchFrom(tokens, 0, nodes, 0);
}

export interface ProgramUnit {
  tokens: string[];
  query: boolean;
  args: string[];
  /** the unit as received, for logs */
  text: string;
}

/** Splits one program message (a line) into units at `;` outside quoted strings. */
export function parseMessage(line: string): ProgramUnit[] {
  const parts: string[] = [];
  let cur = '';
  let quote = '';
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ';') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((text) => {
      const sp = text.search(/\s/);
      let header = sp < 0 ? text : text.slice(0, sp);
      const rest = sp < 0 ? '' : text.slice(sp).trim();
      const query = header.endsWith('?');
      if (query) header = header.slice(0, -1);
      if (header.startsWith(':')) header = header.slice(1);
      const args = rest ? rest.split(',').map((a) => a.trim()) : [];
      return { tokens: header.toUpperCase().split(':'), query, args, text };
    });
}

export function requireArg(args: string[]): string {
  if (args.length === 0 || args[0] === '') throw missingParameter();
  return args[0];
}

/**
 * A decimal number with an optional unit suffix from `units` (upper-case key → multiplier),
 * or MINimum / MAXimum; outside [min, max] is -222.
 */
export function parseNumber(arg: string, units: Record<string, number>, min: number, max: number): number {
  const a = arg.trim().toUpperCase();
  if (a === 'MIN' || a === 'MINIMUM') return min;
  if (a === 'MAX' || a === 'MAXIMUM') return max;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)\s*([A-Z]*)$/.exec(a);
  if (!m) throw dataTypeError();
  let v = Number(m[1]);
  if (m[2]) {
    const k = units[m[2]];
    if (k === undefined) throw invalidSuffix();
    v *= k;
  }
  if (!Number.isFinite(v)) throw dataTypeError();
  if (v < min || v > max) throw outOfRange();
  return v;
}

export function parseBool(arg: string): boolean {
  const a = arg.trim().toUpperCase();
  if (a === 'ON' || a === '1') return true;
  if (a === 'OFF' || a === '0') return false;
  throw illegalValue();
}

/** Matches `arg` against a list of long-form mnemonics (`SQUare`) and returns the short form. */
export function parseChoice(arg: string, choices: string[]): string {
  const a = arg.trim().toUpperCase();
  for (const c of choices) {
    const short = c.replace(/[a-z]/g, '');
    if (a === short || a === c.toUpperCase()) return short;
  }
  throw illegalValue();
}

/** NR3 format as the AFG answers numeric queries, e.g. 1.000000000E+3. */
export function nr3(v: number): string {
  return v.toExponential(9).toUpperCase();
}

/**
 * The small Forth the iceboot console speaks (reference/iceboot-protocol.md §2.5-2.6): whitespace
 * separated words run left to right, integer literals are pushed as 32-bit signed cells, `s" text"`
 * pushes a string, the data stack persists across lines. An error stops the rest of the line.
 */

export type Cell = number | string;

export class ForthError extends Error {}

export type Token = { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'word'; name: string };

const INT_RE = /^[+-]?\d+$/;
const HEX_RE = /^(0x|\$)[0-9a-f]+$/i;

/** Splits one console line into tokens; `s"` takes everything up to the next `"`. */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i])) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !/\s/.test(line[j])) j++;
    const word = line.slice(i, j);
    if (word === 's"') {
      const start = j + 1;
      const end = line.indexOf('"', start);
      out.push({ kind: 'string', value: end < 0 ? line.slice(start) : line.slice(start, end) });
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (INT_RE.test(word)) out.push({ kind: 'number', value: Number(word) | 0 });
    else if (HEX_RE.test(word)) out.push({ kind: 'number', value: parseInt(word.replace(/^(0x|\$)/i, ''), 16) | 0 });
    else out.push({ kind: 'word', name: word });
    i = j;
  }
  return out;
}

const STACK_DEPTH = 64;

export class ForthStack {
  readonly cells: Cell[] = [];

  push(v: Cell): void {
    if (this.cells.length >= STACK_DEPTH) throw new ForthError('stack overflow');
    this.cells.push(typeof v === 'number' ? v | 0 : v);
  }

  /** pops an integer; `who` names the word for the error text */
  pop(who: string): number {
    const v = this.cells.pop();
    if (v === undefined) throw new ForthError(`${who}: stack underflow`);
    if (typeof v !== 'number') throw new ForthError(`${who}: expected a number, got a string`);
    return v;
  }

  popString(who: string): string {
    const v = this.cells.pop();
    if (v === undefined) throw new ForthError(`${who}: stack underflow`);
    if (typeof v !== 'string') throw new ForthError(`${who}: expected s" name"`);
    return v;
  }

  /** pops `n` integers, returned in push order (first pushed first) */
  popN(who: string, n: number): number[] {
    if (this.cells.length < n) {
      this.cells.length = 0;
      throw new ForthError(`${who}: stack underflow`);
    }
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.unshift(this.pop(who));
    return out;
  }

  clear(): void {
    this.cells.length = 0;
  }

  /** `.s` format: `<N> v1 v2 ` (bottom first, each followed by a space) */
  dump(): string {
    // a string literal is an address/length pair in real Forth; show something address-like
    const shown = this.cells.map((c) => (typeof c === 'number' ? String(c) : String(0x20000000 + c.length)));
    return `<${this.cells.length}> ${shown.map((s) => s + ' ').join('')}`;
  }
}

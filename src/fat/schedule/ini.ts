import { printable } from '../../util/printable.js';

/**
 * A small subset of Python's configparser, enough for schedule files: ordered sections and
 * ordered entries with their line numbers. The `ini` npm package is not configparser (it drops
 * `key: value`, strips inline comments, merges duplicate sections and reorders numeric keys), and
 * the original schedule turns keys into positional arguments in file order, so order matters.
 *
 * Supported as configparser does by default: `key = value` and `key: value` (the first `=` or `:`
 * splits), keys lower-cased, values stripped, full-line comments starting with `#` or `;` (also
 * indented ones), blank lines, and indented continuation lines appended with "\n" (blank lines
 * inside a continued value are kept, trailing ones dropped). Inline comments are part of the value.
 */
export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  /** line of the `[name]` header */
  line: number;
  entries: IniEntry[];
}

export interface IniProblem {
  file: string;
  line: number;
  section?: string;
  key?: string;
  message: string;
}

export class IniError extends Error {
  constructor(readonly problems: IniProblem[]) {
    super(problems.map(formatIniProblem).join('\n'));
    this.name = 'IniError';
  }
}

export function formatIniProblem(p: IniProblem): string {
  if (p.section === undefined) return `${p.file} line ${p.line}: ${p.message}`;
  return `${p.file} line ${p.line}, [${p.section}]${p.key === undefined ? '' : ` ${p.key}`}: ${p.message}`;
}

const SECTION = /^\[(.+)\]$/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

/** Parses INI text; problems are collected, not thrown, so a caller can report all of them. */
export function readIni(text: string, file: string): { sections: IniSection[]; problems: IniProblem[] } {
  const sections: IniSection[] = [];
  // by name: a lookup per header, so a file of 100k sections stays linear
  const firstLine = new Map<string, number>();
  const problems: IniProblem[] = [];
  let current: IniSection | undefined;
  // the entry a continuation line extends, and how many blank lines were seen since
  let open: { entry: IniEntry; indent: number } | undefined;
  let blanks = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const stripped = raw.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    if (stripped === '') {
      if (open) blanks++;
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    if (open && indent > open.indent) {
      open.entry.value += '\n'.repeat(blanks + 1) + stripped;
      blanks = 0;
      return;
    }
    open = undefined;
    blanks = 0;
    const header = SECTION.exec(stripped);
    if (header) {
      const name = header[1].trim();
      const earlier = firstLine.get(name);
      if (earlier !== undefined) {
        problems.push({ file, line, section: printable(name), message: `duplicate section (first at line ${earlier})` });
        // its entries are checked but dropped; they must not count as "outside any section"
        current = { name, line, entries: [] };
        return;
      }
      current = { name, line, entries: [] };
      sections.push(current);
      firstLine.set(name, line);
      return;
    }
    if (!current) {
      problems.push({ file, line, message: `"${printable(stripped)}" is outside any section (a file starts with a [section] header)` });
      return;
    }
    const opt = OPTION.exec(stripped);
    if (!opt || opt[1] === '') {
      problems.push({ file, line, section: printable(current.name), message: `"${printable(stripped)}" is not a "key = value" line` });
      return;
    }
    const key = opt[1].toLowerCase();
    const earlier = current.entries.find((e) => e.key === key);
    if (earlier) {
      problems.push({ file, line, section: current.name, key, message: `duplicate key (first at line ${earlier.line})` });
      return;
    }
    const entry = { key, value: opt[3], line };
    current.entries.push(entry);
    open = { entry, indent };
  });
  return { sections, problems };
}

/** Like readIni, but throws an IniError listing every problem. */
export function parseIni(text: string, file: string): IniSection[] {
  const r = readIni(text, file);
  if (r.problems.length) throw new IniError(r.problems);
  return r.sections;
}

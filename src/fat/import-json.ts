import fs from 'node:fs';
import path from 'node:path';

/**
 * Reading the original system's JSON files the way real archives need: Python's json module writes
 * NaN, Infinity and -Infinity as bare words, which JSON.parse refuses; they are read as the strings
 * "NaN", "Infinity", "-Infinity", so the file imports and a quantity holding one is reported, not
 * guessed. A number may also have been written as a string ("1291.5").
 */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Bare NaN / Infinity / -Infinity outside strings become strings. */
function quoteNonFinite(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)\b/g, (m, word: string | undefined) => (word ? `"${word}"` : m));
}

export function parseOriginalJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = quoteNonFinite(text);
    if (fixed === text) throw first;
    try {
      return JSON.parse(fixed);
    } catch {
      throw first;
    }
  }
}

export interface ReadProblem {
  file: string;
  /** where in the file, e.g. UpperPmt.GainMeasurement_01.GainFitExp; absent for the whole file */
  key?: string;
  message: string;
}

/** A JSON object file: its text and content, or a problem naming the file and, for bad JSON, the line. */
export function readJsonObject(file: string, problems: ReadProblem[]): { text: string; doc: Json } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ file, message: `cannot read it: ${(e as Error).message}` });
    return undefined;
  }
  try {
    const doc = parseOriginalJson(text);
    if (!isObject(doc)) {
      problems.push({ file, message: 'is not a JSON object ({...})' });
      return undefined;
    }
    return { text, doc };
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? ` (line ${lineCol(text, Number(pos[1]))})` : '';
    problems.push({ file, message: `is not valid JSON${where}: ${msg}` });
    return undefined;
  }
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * The number under `key`: undefined when the key is absent (the original wrote its entries in
 * several versions), a number when it holds one or a numeric string, and otherwise a problem.
 */
export function readNumber(
  container: Json,
  key: string,
  where: string,
  problems: Omit<ReadProblem, 'file'>[],
  what: string,
): number | undefined {
  if (!(key in container)) return undefined;
  const v = container[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isFinite(n)) return n;
  problems.push({ key: `${where}${key}`, message: `${JSON.stringify(v)} is not a number: ${what} not imported` });
  return undefined;
}

/** `p` with its symlinks resolved when it exists inside `boundary`, else undefined (it is then not read). */
export function inside(boundary: string, p: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    return undefined;
  }
  const rel = path.relative(boundary, real);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? real : undefined;
}

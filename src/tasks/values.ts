import { z } from 'zod';

/**
 * Parameter types for schedule values. INI values arrive as text, so each accepts text (and the
 * native type, for schedules built in code) and says what it expected in words an operator reads
 * next to the line number: `expected a whole number, got "four"`.
 *
 * Booleans follow configparser's getboolean(), not the original's bool(string): "False", "no",
 * "off" and "0" are false.
 */
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export function parseIniBool(v: string | boolean): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

/**
 * What each parameter type reads, for whoever offers a kind's parameters elsewhere (`fat measure`
 * makes its options from them); defaults and descriptions stay on the parameters (`.default()`,
 * `.describe()`, and `.meta({ default })` for a default the kind fills in itself).
 */
export type IniType = { type: 'int' | 'number' | 'bool' | 'text' } | { type: 'choice'; values: readonly string[] };
export const iniTypes = z.registry<IniType>();

const boolBase = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  const b = parseIniBool(v);
  if (b === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected True or False, got "${String(v)}"` });
    return z.NEVER;
  }
  return b;
});
boolBase.register(iniTypes, { type: 'bool' });

export function iniBool(): typeof boolBase;
export function iniBool(def: boolean): z.ZodDefault<typeof boolBase>;
export function iniBool(def?: boolean) {
  return def === undefined ? boolBase : boolBase.default(def);
}

interface Range {
  min?: number;
  max?: number;
  /** unit shown in range errors, e.g. "s" */
  unit?: string;
}

function numberOf(whole: boolean, r: Range) {
  const what = whole ? 'a whole number' : 'a number';
  const schema = z.union([z.number(), z.string()]).transform((v, ctx) => {
    const s = typeof v === 'number' ? String(v) : v.trim();
    const n = s === '' ? NaN : Number(s);
    if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got "${String(v)}"` });
      return z.NEVER;
    }
    const unit = r.unit ? ` ${r.unit}` : '';
    if ((r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max)) {
      const range =
        r.max === undefined ? `at least ${r.min}${unit}` : r.min === undefined ? `at most ${r.max}${unit}` : `${r.min}..${r.max}${unit}`;
      ctx.addIssue({ code: 'custom', message: `expected ${what} ${range}, got ${s}` });
      return z.NEVER;
    }
    return n;
  });
  return schema.register(iniTypes, { type: whole ? 'int' : 'number' });
}

export const iniInt = (r: Range = {}) => numberOf(true, r);
export const iniNumber = (r: Range = {}) => numberOf(false, r);

/** Free text; `required` text must not be empty. */
export const iniText = () => z.string({ error: 'expected text' }).register(iniTypes, { type: 'text' });
export const iniRequiredText = () => iniText().trim().min(1, 'must not be empty');

/** One of a fixed set of words (compared without case). */
export function iniChoice<const T extends readonly [string, ...string[]]>(values: T) {
  const schema = z.string({ error: `expected one of ${values.join(', ')}` }).transform((v, ctx): T[number] => {
    const hit: T[number] | undefined = values.find((x) => x.toLowerCase() === v.trim().toLowerCase());
    if (hit === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got "${v}"` });
      return z.NEVER;
    }
    return hit;
  });
  return schema.register(iniTypes, { type: 'choice', values });
}

import { z } from 'zod';

/**
 * Parameter types for task kinds. Values arrive from INI files as text, so these accept text and
 * numbers alike; a boolean is parsed properly ("False" is false, unlike the original's bool()).
 */
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export const flag = (def: boolean) =>
  z
    .union([z.boolean(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'boolean') return v;
      const s = v.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      ctx.addIssue({ code: 'custom', message: `expected True or False, got "${v}"` });
      return z.NEVER;
    })
    .default(def);

export const seconds = (def?: number) => {
  const s = z.coerce.number({ error: 'expected a number of seconds' }).nonnegative('expected a number of seconds >= 0');
  return def === undefined ? s : s.default(def);
};

export const celsius = z.coerce.number({ error: 'expected a temperature in °C' });

export const text = (def?: string) => (def === undefined ? z.string().min(1, 'must not be empty') : z.string().default(def));

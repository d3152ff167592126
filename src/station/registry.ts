import fs from 'node:fs';
import { parse as parseToml, stringify, TomlError } from 'smol-toml';
import { z } from 'zod';
import { ConfigError } from '../lab/station.js';

/**
 * The D-Egg registry (`modules.toml` in the home folder): what the original kept in the "D-Egg Log
 * Book" sheet. A module is found by the ICM ID its mainboard reports; the registry supplies the
 * serial numbers that no mainboard knows (PMTs, glass, flasher board, ...).
 */
const pmtSchema = z.object({ serial: z.string(), hvb: z.string().default('') }).strict();

export const registryEntrySchema = z
  .object({
    serial: z.string().min(1),
    icm_id: z.string().regex(/^[0-9a-f]{16}$/i, '16 hexadecimal digits'),
    icm: z.string().default(''),
    box: z.union([z.string(), z.number()]).default(-1),
    mainboard: z.string().default(''),
    flasher: z.string().default(''),
    camera: z.string().default(''),
    upper_glass: z.string().default(''),
    lower_glass: z.string().default(''),
    penetrator: z.string().default(''),
    sealing_date: z.string().default(''),
    arrival_date: z.string().default(''),
    electrical_inspection: z.string().default(''),
    lower_pmt: pmtSchema,
    upper_pmt: pmtSchema,
  })
  .strict();

export type RegistryEntry = z.infer<typeof registryEntrySchema>;

const registrySchema = z.object({ degg: z.array(registryEntrySchema).default([]) }).strict();

export function loadRegistry(file: string): RegistryEntry[] {
  if (!fs.existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = parseToml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const where = e instanceof TomlError ? ` line ${e.line}, column ${e.column}` : '';
    throw new ConfigError(`module registry ${file}${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = registrySchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`module registry ${file} is not valid:\n${lines.join('\n')}`);
  }
  const seen = new Map<string, string>();
  for (const e of r.data.degg) {
    const id = e.icm_id.toLowerCase();
    const prev = seen.get(id);
    if (prev) throw new ConfigError(`module registry ${file}: ICM ID ${id} is listed for both ${prev} and ${e.serial}`);
    seen.set(id, e.serial);
  }
  return r.data.degg;
}

export function findByIcmId(entries: RegistryEntry[], icmId: string): RegistryEntry | undefined {
  const id = icmId.toLowerCase();
  return entries.find((e) => e.icm_id.toLowerCase() === id);
}

export function registryToml(entries: RegistryEntry[]): string {
  return (
    '# D-Egg registry: one [[degg]] per module, found by the ICM ID its mainboard reports.\n' +
    '# The equivalent of the D-Egg Log Book sheet; edit it when modules arrive.\n\n' +
    stringify({ degg: entries }) +
    '\n'
  );
}

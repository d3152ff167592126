import { readJsonFile } from '../fat/run-files.js';
import type { ActiveModule } from './types.js';

/** The two PMTs of a D-Egg as its JSON file names them, in mainboard channel order. */
export const PMTS = ['LowerPmt', 'UpperPmt'] as const;
export type PmtName = (typeof PMTS)[number];

/** HV when the module file has no HV1e7Gain yet (the original's default). */
export const DEFAULT_HV_VOLTS = 1500;

export function pmtSection(jsonFile: string, pmt: PmtName): Record<string, unknown> {
  return (readJsonFile(jsonFile)[pmt] as Record<string, unknown> | undefined) ?? {};
}

export function pmtSerialOf(m: ActiveModule, pmt: PmtName): string {
  const sn = pmtSection(m.jsonFile, pmt).SerialNumber;
  return typeof sn === 'string' && sn ? sn : `${m.serial}-${pmt}`;
}

/** The PMT's HV at gain 1e7 from its file, or the default when it has none. */
export function hvSetPoint(jsonFile: string, pmt: PmtName): number {
  const hv = Number(pmtSection(jsonFile, pmt).HV1e7Gain ?? -1);
  return hv > 0 ? hv : DEFAULT_HV_VOLTS;
}

export const where = (m: ActiveModule, pmt: PmtName) => `${m.serial} (port ${m.port}) ${pmt}`;

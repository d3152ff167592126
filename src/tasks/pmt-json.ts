import { readDoc, viewDoc, type DocStore, type DocView } from '../records/json-docs.js';
import type { ActiveModule } from './types.js';

/**
 * What a D-Egg's document (in the store) says of its PMTs: serials, HV at gain 1e7, SPE peak
 * height. The names are the original's JSON keys.
 */

/** The two PMTs of a D-Egg as its JSON file names them, in mainboard channel order. */
export const PMTS = ['LowerPmt', 'UpperPmt'] as const;
export type PmtName = (typeof PMTS)[number];

/** Which PMT a per-PMT result is about: its module (port, serial), its name in the module's document, its serial. */
export interface PmtIdentity {
  port: number;
  serial: string;
  pmt: PmtName;
  pmtSerial: string;
}

/** PMT `pmt` (serial `pmtSerial`) of module `m`, as a per-PMT result names it. */
export const pmtIdentity = (m: Pick<ActiveModule, 'port' | 'serial'>, pmt: PmtName, pmtSerial: string): PmtIdentity => ({
  port: m.port,
  serial: m.serial,
  pmt,
  pmtSerial,
});

/** How a raw HDF5 file of one PMT names it (its first attributes): the module's serial and port, the PMT and its serial. */
export const pmtFileAttrs = (m: Pick<ActiveModule, 'serial' | 'port'>, pmt: PmtName, pmtSerial: string) => ({
  degg: m.serial,
  port: m.port,
  pmt,
  pmt_serial: pmtSerial,
});

/** HV when the module file has no HV1e7Gain yet (the original's default). */
export const DEFAULT_HV_VOLTS = 1500;

export async function pmtSection(ws: DocStore, jsonFile: string, pmt: PmtName): Promise<Record<string, unknown>> {
  return ((await readDoc(ws, jsonFile))[pmt] as Record<string, unknown> | undefined) ?? {};
}

/** The plain (non-object) fields of a PMT section: SerialNumber, HV1e7Gain, SPEPeakHeight, ..., without its measurement entries. */
type PmtFields = Readonly<Record<string, string | number | boolean | null>>;

const pmtFieldsView: DocView<Record<PmtName, PmtFields>> = {
  of: (doc) => {
    const fields = (section: unknown): PmtFields =>
      Object.freeze(
        Object.fromEntries(
          Object.entries(section && typeof section === 'object' ? section : {}).filter(([, v]) => v === null || typeof v !== 'object'),
        ),
      );
    return { LowerPmt: fields(doc.LowerPmt), UpperPmt: fields(doc.UpperPmt) };
  },
};

/** The PMT section's plain fields (a read of the version only, while the document is unchanged: `viewDoc`). */
export async function pmtFields(ws: DocStore, jsonFile: string, pmt: PmtName): Promise<PmtFields> {
  return (await viewDoc(ws, jsonFile, pmtFieldsView))[pmt];
}

export async function pmtSerialOf(ws: DocStore, m: ActiveModule, pmt: PmtName): Promise<string> {
  const sn = (await pmtFields(ws, m.jsonFile, pmt)).SerialNumber;
  return typeof sn === 'string' && sn ? sn : `${m.serial}-${pmt}`;
}

/** The PMT's HV at gain 1e7 from its document, or the default when it has none. */
export async function hvSetPoint(ws: DocStore, jsonFile: string, pmt: PmtName): Promise<number> {
  const hv = Number((await pmtFields(ws, jsonFile, pmt)).HV1e7Gain ?? -1);
  return hv > 0 ? hv : DEFAULT_HV_VOLTS;
}

export const where = (m: ActiveModule, pmt: PmtName) => `${m.serial} (port ${m.port}) ${pmt}`;

import fs from 'node:fs';
import path from 'node:path';
import type { ModuleIdentity } from '../station/module-link.js';
import type { RegistryEntry } from '../station/registry.js';

/**
 * The original system's JSON files, written from the store in their original layout
 * (original-system.md §4.2-4.3) so existing analysis scripts keep working:
 *   json/run/run_NNNNN.json            { "<DEggSerial>": "<path of its file>", comment, date, ... }
 *   json/run_NNNNN/<DEggSerial>.json   one per D-Egg
 * The documents live in the store (records/json-docs.ts); these files are their exports.
 */
export const runName = (n: number) => `run_${String(n).padStart(5, '0')}`;

export function runFilePath(jsonDir: string, runNumber: number): string {
  return path.join(jsonDir, 'run', `${runName(runNumber)}.json`);
}

export function deggFilePath(jsonDir: string, runNumber: number, serial: string): string {
  return path.join(jsonDir, runName(runNumber), `${serial}.json`);
}

/** Highest run number among the exported run files (0 when there are none). */
export function maxRunNumberOnDisk(jsonDir: string): number {
  const dir = path.join(jsonDir, 'run');
  if (!fs.existsSync(dir)) return 0;
  let max = 0;
  for (const f of fs.readdirSync(dir)) {
    const m = /^run_(\d+)\.json$/.exec(f);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

const pmtDict = (p: { serial: string; hvb: string }) => ({
  SerialNumber: p.serial,
  HVB: p.hvb,
  HV1e7Gain: -1,
  HV1e7GainDefault: 1500,
  SPEPeakHeight: -1,
});

/** A fresh D-Egg file as `create_configs.construct_dict` made it. */
export function freshDeggJson(id: ModuleIdentity, reg: RegistryEntry): Record<string, unknown> {
  return {
    DEggSerialNumber: reg.serial,
    UpperGlassSerialNumber: reg.upper_glass,
    LowerGlassSerialNumber: reg.lower_glass,
    UpperPmt: pmtDict(reg.upper_pmt),
    LowerPmt: pmtDict(reg.lower_pmt),
    PenetratorType: -1,
    PenetratorNumber: reg.penetrator,
    SealingDate: reg.sealing_date,
    ArrivalDate: reg.arrival_date,
    flashID: id.flashId || -1,
    ICMID: id.icmId,
    fpgaVersion: id.fpgaVersion,
    IcebootVersion: id.softwareVersion,
    BoxNumber: reg.box,
    Port: id.port,
    ICM: reg.icm,
    FlasherID: reg.flasher,
    MainboardNumber: reg.mainboard,
    ElectricalInspectionNME: reg.electrical_inspection,
    CameraNumber: reg.camera,
    Constants: { Samples: 128, AdcMin: 7600, AdcRange: 9000, Events: 10000, DacValue: 30000 },
  };
}

/** The run file as `create_run` wrote it: each D-Egg's file, the comment and the date. */
export function runJsonBody(deggFiles: Record<string, string>, comment: string, date: string): Record<string, unknown> {
  return { ...deggFiles, comment, date };
}

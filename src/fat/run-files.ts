import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { RegistryEntry } from './registry.js';

/**
 * The original system's JSON files, written from the store in their original layout
 * (original-system.md §4.2-4.3) so existing analysis scripts keep working:
 *   json/run/run_NNNNN.json            { "<DEggSerial>": "<path of its file>", comment, date, ... }
 *   json/run_NNNNN/<DEggSerial>.json   one per D-Egg
 * Files are replaced atomically, never edited in place.
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

export interface ModuleIdentity {
  port: number;
  icmId: string;
  fpgaVersion: number;
  softwareVersion: number;
  flashId: string;
  mainboardId: string;
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

export function writeRunJson(file: string, deggFiles: Record<string, string>, comment: string, date: string): void {
  writeJsonAtomic(file, { ...deggFiles, comment, date });
}

/** Reads an exported JSON file; a corrupt one is an error naming the file (nothing is overwritten). */
export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} cannot be read`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); it was left untouched: restore it from a backup`, { cause: e });
  }
}

/**
 * Adds a measurement entry `<name>_NN` (the next free two-digit counter, as `create_key` did) to
 * the given PMT (or the D-Egg top level) and rewrites the file atomically. Returns the key.
 */
export function addMeasurementEntry(file: string, name: string, entry: Record<string, unknown>, pmt?: 'LowerPmt' | 'UpperPmt'): string {
  const doc = readJsonFile(file);
  const target = pmt ? (doc[pmt] as Record<string, unknown>) : doc;
  if (!target || typeof target !== 'object') throw new Error(`${file} has no ${pmt} section`);
  let n = 0;
  while (`${name}_${String(n).padStart(2, '0')}` in target) n++;
  const key = `${name}_${String(n).padStart(2, '0')}`;
  target[key] = entry;
  writeJsonAtomic(file, doc);
  return key;
}

/**
 * Marks the entries that an earlier, interrupted attempt of task `taskId` wrote into a D-Egg file
 * (entries carry `TaskId`) as superseded, so that the half-done measurement stays on record but is
 * never read as the latest result. Returns the keys marked.
 */
export function supersedeTaskEntries(file: string, taskId: number, note: string): string[] {
  const marked: string[] = [];
  updateJsonFile(file, (doc) => {
    for (const [where, section] of [
      ['', doc],
      ['LowerPmt.', doc.LowerPmt],
      ['UpperPmt.', doc.UpperPmt],
    ] as const) {
      if (!section || typeof section !== 'object') continue;
      for (const [key, entry] of Object.entries(section as Record<string, unknown>)) {
        const e = entry as Record<string, unknown> | null;
        if (e && typeof e === 'object' && e.TaskId === taskId && e.Superseded === undefined) {
          e.Superseded = note;
          marked.push(where + key);
        }
      }
    }
  });
  return marked;
}

/** Reads, changes and atomically rewrites a run or D-Egg JSON file. */
export function updateJsonFile(file: string, mutate: (doc: Record<string, unknown>) => void): void {
  const doc = readJsonFile(file);
  mutate(doc);
  writeJsonAtomic(file, doc);
}

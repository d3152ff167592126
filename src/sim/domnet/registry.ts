import type { LabTruth, ModuleTruth } from '../physics.js';

/**
 * The logbook sheet of the simulated lab's modules: what an operator would copy into the station's
 * registry (`modules.toml`) when the modules arrive. Keys follow that file's `[[degg]]` entries; a
 * module is matched to its port by the ICM ID its mainboard reports, so the port is listed apart,
 * as the box-to-port map was in the original.
 */
export interface RegistryPmt {
  serial: string;
  hvb: string;
}

export interface SimRegistryEntry {
  serial: string;
  icm_id: string;
  icm: string;
  box: number;
  mainboard: string;
  flasher: string;
  camera: string;
  upper_glass: string;
  lower_glass: string;
  penetrator: string;
  sealing_date: string;
  arrival_date: string;
  electrical_inspection: string;
  lower_pmt: RegistryPmt;
  upper_pmt: RegistryPmt;
}

export interface SimRegistry {
  degg: SimRegistryEntry[];
  /** device port → D-Egg serial, as cabled in the simulated freezer */
  ports: Record<string, string>;
  /** the tabletop reference board (not a FAT module) */
  tabletop: { port: number; icm_id: string; mainboard: string };
}

function entry(m: ModuleTruth, box: number): SimRegistryEntry {
  const pmt = (i: 0 | 1): RegistryPmt => ({ serial: m.pmts[i].serial, hvb: m.pmts[i].hvb });
  return {
    serial: m.deggSerial,
    icm_id: m.icmId.replace(/^0x/i, '').toLowerCase(),
    icm: m.icm,
    box,
    mainboard: m.mainboardNumber,
    flasher: m.flasherId,
    camera: m.cameraNumber,
    upper_glass: m.upperGlassSerial,
    lower_glass: m.lowerGlassSerial,
    penetrator: m.penetrator,
    sealing_date: m.sealingDate,
    arrival_date: m.arrivalDate,
    electrical_inspection: 'Pass',
    lower_pmt: pmt(0),
    upper_pmt: pmt(1),
  };
}

export function moduleRegistry(truth: LabTruth): SimRegistry {
  const modules = [...truth.modules].sort((a, b) => a.port - b.port);
  return {
    // boxes in the freezer are numbered in cabling order
    degg: modules.map((m, i) => entry(m, i + 1)),
    ports: Object.fromEntries(modules.map((m) => [String(m.port), m.deggSerial])),
    tabletop: { port: truth.tabletop.port, icm_id: truth.tabletop.icmId, mainboard: truth.tabletop.mainboardNumber },
  };
}

import type { RegistryEntry } from '../fat/registry.js';
import type { LabTruth } from '../sim/physics.js';

/** The registry a lab keeps for the modules it received: for the simulated lab, from its truth. */
export function simRegistry(truth: LabTruth): RegistryEntry[] {
  return truth.modules.map((m) => ({
    serial: m.deggSerial,
    icm_id: m.icmId,
    icm: m.icm,
    box: m.port - truth.modules[0].port + 1,
    mainboard: m.mainboardNumber,
    flasher: m.flasherId,
    camera: m.cameraNumber,
    upper_glass: m.upperGlassSerial,
    lower_glass: m.lowerGlassSerial,
    penetrator: m.penetrator,
    sealing_date: m.sealingDate,
    arrival_date: m.arrivalDate,
    electrical_inspection: 'Pass',
    lower_pmt: { serial: m.pmts[0].serial, hvb: m.pmts[0].hvb },
    upper_pmt: { serial: m.pmts[1].serial, hvb: m.pmts[1].hvb },
  }));
}

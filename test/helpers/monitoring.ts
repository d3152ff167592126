import type { LabTruth } from '../../src/sim/truth-types.js';
import { peakAdcPerPe } from '../../src/sim/physics.js';
import { editDoc } from './docs.js';
import { runJson } from './master.js';

/**
 * The monitoring tasks run after a gain scan: give every PMT file what the scan would have left
 * (HV1e7Gain, SPEPeakHeight and a GainMeasurement with the fitted exponent), from the truth,
 * with an optional offset of the HV to see a task correct it.
 */
export async function seedGainFromTruth(
  home: string,
  truth: LabTruth,
  hvOffsetV: (port: number, ch: 0 | 1) => number = () => 0,
): Promise<void> {
  const run = runJson(home);
  for (const m of truth.modules) {
    await editDoc(home, run[m.deggSerial] as string, (doc) => {
      for (const p of m.pmts) {
        const sec = doc[p.name] ?? {};
        const hv = Math.round(p.hv1e7Volts + hvOffsetV(m.port, p.channel));
        sec.HV1e7Gain = hv;
        sec.SPEPeakHeight = peakAdcPerPe(1e7) * 0.075e-3;
        sec.GainMeasurement_00 = { mode: 'scan', HV1e7Gain: hv, GainFitExp: p.gainK, GainFitNorm: p.gainA };
        doc[p.name] = sec;
      }
    });
  }
}

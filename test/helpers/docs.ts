import { openWorkspace } from '../../src/station/workspace.js';
import { updateDoc, type JsonDoc } from '../../src/records/json-docs.js';
import type { LabTruth } from '../../src/sim/truth-types.js';
import { runJson } from './master.js';

/**
 * Changes a run or D-Egg document the way icefat does: in the store, then its export in json/.
 * (The files are exports: editing one by hand changes nothing icefat reads.)
 */
export async function editDoc(home: string, file: string, mutate: (doc: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const ws = await openWorkspace(home);
  try {
    await updateDoc(ws, file, (doc: JsonDoc) => mutate(doc as Record<string, Record<string, unknown>>));
  } finally {
    await ws.close();
  }
}

/** Every PMT (or the lower ones) at its HV for gain 1e7 from the truth, as a gain scan would leave them. */
export async function seedHv1e7(home: string, truth: LabTruth, pmts: ReadonlyArray<0 | 1> = [0, 1]): Promise<void> {
  const run = runJson(home);
  for (const m of truth.modules)
    await editDoc(home, run[m.deggSerial] as string, (doc) => {
      for (const ch of pmts) doc[m.pmts[ch].name].HV1e7Gain = m.pmts[ch].hv1e7Volts;
    });
}

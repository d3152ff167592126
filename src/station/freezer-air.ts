import { FreezerController } from '../lab/instruments/freezer.js';
import { Thermometer } from '../lab/instruments/thermometer.js';
import type { Workspace } from './workspace.js';

/** The freezer's air temperature: from its controller, or for a manual freezer the thermometer's channel 4. */
export async function freezerAirC(ws: Workspace): Promise<number> {
  const st = ws.station;
  if (st.freezer.mode === 'controller' && st.freezer.address) {
    const f = await FreezerController.connect(st.freezer.address);
    try {
      return await f.temperature();
    } finally {
      await f.close();
    }
  }
  const t = await Thermometer.connect(st.thermometer.address);
  try {
    return (await t.readAll())[4];
  } finally {
    await t.close();
  }
}

import type { Workspace } from '../station/workspace.js';
import { LabPlugs } from '../station/lab-plugs.js';

/**
 * Where the lab is left whenever a run stops, for any reason: the function generator's output off
 * (so the laser stops), and the HV kept or ramped down as the station file says. The instruments
 * are reached through the same plugs a task is handed, and torn down by them. Each step is tried
 * on its own; what could not be done is reported, never thrown.
 */
export interface SafeStateReport {
  laserOff: boolean | null;
  hv: 'kept' | 'ramped_down' | 'partial';
  problems: string[];
}

export async function bringToSafeState(ws: Workspace, ports: number[]): Promise<SafeStateReport> {
  const lab = new LabPlugs(ws.station, ws.clock);
  const problems: string[] = [];
  let laserOff: boolean | null = null;
  let hv: SafeStateReport['hv'] = 'kept';
  try {
    if (ws.station.safe_state.laser_off) {
      try {
        const fg = await lab.functionGenerator();
        await fg.disableOutput();
        laserOff = !(await fg.outputOn());
      } catch (e) {
        laserOff = false;
        problems.push(`laser: ${(e as Error).message}`);
      }
    }
    if (ws.station.safe_state.hv === 'ramp_down') {
      const results = await Promise.allSettled(ports.map((p) => lab.hvOff(p)));
      results.forEach((r, i) => r.status === 'rejected' && problems.push(`HV of port ${ports[i]}: ${(r.reason as Error).message}`));
      hv = results.every((r) => r.status === 'fulfilled') ? 'ramped_down' : 'partial';
    }
  } finally {
    // every connection closed; the laser's own problem, if any, is reported above already
    const teardown = await lab.close();
    if (laserOff !== false) problems.push(...teardown);
  }
  return { laserOff, hv, problems };
}

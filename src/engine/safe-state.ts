import type { Workspace } from '../station/workspace.js';
import { withSession } from '../station/module-link.js';
import { FunctionGenerator } from '../lab/instruments/function-generator.js';

/**
 * Where the lab is left whenever a run stops, for any reason: the function generator's output off
 * (so the laser stops), and the HV kept or ramped down as the station file says. Each step is
 * tried on its own; what could not be done is reported, never thrown.
 */
export interface SafeStateReport {
  laserOff: boolean | null;
  hv: 'kept' | 'ramped_down' | 'partial';
  problems: string[];
}

export async function bringToSafeState(ws: Workspace, ports: number[]): Promise<SafeStateReport> {
  const problems: string[] = [];
  let laserOff: boolean | null = null;
  if (ws.station.safe_state.laser_off) {
    try {
      const fg = await FunctionGenerator.connect(ws.station.function_generator.address);
      try {
        await fg.disableOutput();
        laserOff = !(await fg.outputOn());
      } finally {
        await fg.close();
      }
    } catch (e) {
      laserOff = false;
      problems.push(`laser: ${(e as Error).message}`);
    }
  }
  let hv: SafeStateReport['hv'] = 'kept';
  if (ws.station.safe_state.hv === 'ramp_down') {
    const results = await Promise.allSettled(
      ports.map((p) =>
        withSession(ws.station.daq_host, p, async (s) => {
          for (const ch of [0, 1] as const) {
            await s.setHV(ch, 0).catch(() => undefined);
            await s.disableHV(ch);
          }
        }),
      ),
    );
    results.forEach((r, i) => r.status === 'rejected' && problems.push(`HV of port ${ports[i]}: ${(r.reason as Error).message}`));
    hv = results.every((r) => r.status === 'fulfilled') ? 'ramped_down' : 'partial';
  }
  return { laserOff, hv, problems };
}

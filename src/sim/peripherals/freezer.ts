import type { SimContext } from '../context.js';
import { lineSplitter, listen, type RunningServer } from './wire.js';

/**
 * The simulated freezer controller (the original's set-point microcontroller), behind a
 * serial-to-Ethernet server. Its protocol is icefat's own; the driver in
 * src/lab/instruments/freezer.ts speaks it.
 *
 * Commands end with CR, LF or CR LF, case-insensitive; every reply is one line ending with CR LF:
 *   `*IDN?`     → `SIMLAB,FREEZER-CTL,FZ-0001,1.0`
 *   `SP?`       → `SP -40.0`                 set point, °C
 *   `SP -40.0`  → `OK`                       new set point; outside -50..+30 °C →
 *                 `ERR set point -60.0 C outside -50.0..+30.0 C`
 *   `PV?`       → `PV -38.2`                 air temperature (process value), °C
 *   `STATE?`    → `COOLING` | `WARMING` | `HOLDING` (within 0.5 °C of the set point)
 *   other       → `ERR unknown command "<cmd>"`
 *
 * Fault `instrument-timeout:freezer`: the controller ignores everything (the freezer itself
 * keeps following its last set point).
 */
export const FREEZER_SETPOINT_RANGE_C = [-50, 30] as const;

export function startFreezer(ctx: SimContext): Promise<RunningServer> {
  const freezer = ctx.lab.freezer;
  const [lo, hi] = FREEZER_SETPOINT_RANGE_C;
  const answer = (cmd: string): string => {
    const c = cmd.trim().toUpperCase();
    if (c === '*IDN?') return 'SIMLAB,FREEZER-CTL,FZ-0001,1.0';
    if (c === 'SP?') return `SP ${freezer.setpointC.toFixed(1)}`;
    if (c === 'PV?') return `PV ${freezer.temperatureC().toFixed(1)}`;
    if (c === 'STATE?') {
      const diff = freezer.temperatureC() - freezer.setpointC;
      return Math.abs(diff) < 0.5 ? 'HOLDING' : diff > 0 ? 'COOLING' : 'WARMING';
    }
    const m = /^SP\s+(\S+)$/.exec(c);
    if (m) {
      const v = Number(m[1]);
      if (!Number.isFinite(v)) return `ERR set point "${m[1]}" is not a number`;
      if (v < lo || v > hi) return `ERR set point ${v.toFixed(1)} C outside ${lo.toFixed(1)}..+${hi.toFixed(1)} C`;
      freezer.setSetpoint(v);
      ctx.log(`freezer: set point ${v.toFixed(1)} °C`);
      return 'OK';
    }
    return `ERR unknown command "${cmd}"`;
  };
  return listen(ctx.host, ctx.ports.freezer, 'freezer controller', (socket) => {
    socket.on(
      'data',
      lineSplitter('\r\n', (cmd) => {
        if (ctx.faults.has('instrument-timeout', 'freezer')) return;
        socket.write(answer(cmd) + '\r\n');
      }),
    );
  });
}

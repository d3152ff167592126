import type { SimContext } from '../context.js';
import { Rng } from '../rng.js';
import { lineSplitter, listen, type RunningServer } from './wire.js';

/**
 * A simulated humidity/temperature probe inside the freezer (H1 at the door, H2 at the back),
 * behind a serial-to-Ethernet server. The real station's sensor driver was never published, so
 * this is icefat's own small ASCII protocol; the driver in src/lab/instruments/humidity.ts speaks it.
 *
 * Commands end with CR, LF or CR LF; every reply is one line ending with CR LF:
 *   `*IDN?`  → `SIMLAB,RHT-100,H1-0001,1.0`   (maker, model, serial, firmware)
 *   `READ?`  → `RH=23.4 T=-38.9`               (relative humidity in %, air temperature in °C)
 *   `RH?`    → `23.4`
 *   `T?`     → `-38.9`
 *   other    → `ERR unknown command "<cmd>"`
 *
 * The relative humidity falls as the freezer cools (its evaporator freezes the water out of the
 * air): about 45 % at room temperature, about 15 % at -40 °C. The door probe reads a little
 * warmer and damper than the one at the back. Fault `instrument-timeout:humidity0|humidity1`:
 * the probe ignores everything.
 */
export const HUMIDITY_PROBES = [
  { name: 'H1', serial: 'H1-0001', rhOffsetPct: 4, tempOffsetC: 0.8 },
  { name: 'H2', serial: 'H2-0002', rhOffsetPct: 0, tempOffsetC: 0.2 },
];

/** Relative humidity of the freezer air at `tempC` before the probe's own offset. */
export function freezerHumidityPct(tempC: number): number {
  return 15 + (30 * (tempC + 40)) / 61;
}

export function startHumidity(ctx: SimContext, index: 0 | 1): Promise<RunningServer> {
  const probe = HUMIDITY_PROBES[index];
  const rng = Rng.derive(ctx.seed, `humidity${index}`);
  const measure = () => {
    const air = ctx.lab.freezer.temperatureC();
    const rh = Math.min(100, Math.max(0, freezerHumidityPct(air) + probe.rhOffsetPct + rng.normal(0, 0.3)));
    return { rh: rh.toFixed(1), t: (air + probe.tempOffsetC + rng.normal(0, 0.1)).toFixed(1) };
  };
  const answer = (cmd: string): string => {
    switch (cmd.toUpperCase()) {
      case '*IDN?':
        return `SIMLAB,RHT-100,${probe.serial},1.0`;
      case 'READ?': {
        const m = measure();
        return `RH=${m.rh} T=${m.t}`;
      }
      case 'RH?':
        return measure().rh;
      case 'T?':
        return measure().t;
      default:
        return `ERR unknown command "${cmd}"`;
    }
  };
  return listen(ctx.host, ctx.ports.humidity(index), `humidity sensor ${probe.name}`, (socket) => {
    socket.on(
      'data',
      lineSplitter('\r\n', (cmd) => {
        if (ctx.faults.has('instrument-timeout', `humidity${index}`)) return;
        socket.write(answer(cmd) + '\r\n');
      }),
    );
  });
}

import type { SimContext } from '../context.js';
import { lineSplitter, listen, wallMs, wallSleep, type RunningServer } from './wire.js';

/**
 * A simulated Thorlabs FW102C 6-position filter wheel behind a serial-to-Ethernet server.
 *
 * Framing as the real wheel's: each command ends with CR; the wheel echoes it followed by CR,
 * then the response (if any) followed by CR, then the prompt `> `:
 *   `pos?\r`  → `pos?\r3\r> `
 *   `pos=4\r` → `pos=4\r` ... (the wheel turns) ... `> `
 *   `pos=9\r` → `pos=9\rCommand error CMD_ARG_INVALID\r> `
 * Commands are worked off one at a time, so a query sent during a move is answered after it.
 * Line feeds are ignored. The position lives in `ctx.lab.filterWheels[i]`.
 *
 * Fault `instrument-timeout:fw0|fw1`: the wheel ignores everything.
 */
export const FW102C_IDN = 'THORLABS FW102C/FW212C Filter Wheel version 1.07';
/** lab milliseconds per position step at high and low speed */
const STEP_MS = [1400, 700];

export function startFilterWheel(ctx: SimContext, index: 0 | 1): Promise<RunningServer> {
  const wheel = ctx.lab.filterWheels[index];
  const target = `fw${index}`;
  const settings = { speed: 1, trig: 0, sensors: 0, baud: 1 };
  const count = () => wheel.strengths.length;

  const moveTo = async (pos: number) => {
    const n = count();
    const d = Math.abs(pos - wheel.position);
    const steps = Math.min(d, n - d); // the wheel takes the short way round
    await wallSleep(wallMs(ctx.clock, steps * STEP_MS[settings.speed]));
    wheel.position = pos;
    ctx.log(`filter wheel ${index}: position ${pos} (transmission ${wheel.strengths[pos - 1]})`);
  };

  const flag = (key: 'speed' | 'trig' | 'sensors' | 'baud') => ({
    query: () => String(settings[key]),
    set: (arg: string) => {
      if (arg !== '0' && arg !== '1') return false;
      settings[key] = Number(arg);
      return true;
    },
  });
  const params: Record<string, { query?: () => string; set?: (arg: string) => boolean | Promise<boolean> }> = {
    '*idn': { query: () => FW102C_IDN },
    pos: {
      query: () => String(wheel.position),
      set: async (arg) => {
        const p = Number(arg);
        if (!/^\d+$/.test(arg) || p < 1 || p > count()) return false;
        await moveTo(p);
        return true;
      },
    },
    pcount: {
      query: () => String(count()),
      // a 12-position FW212C setting on a 6-position wheel is refused
      set: (arg) => arg === String(count()),
    },
    speed: flag('speed'),
    trig: flag('trig'),
    sensors: flag('sensors'),
    baud: flag('baud'),
    save: { set: () => true },
  };

  /** Returns the text the wheel sends after the echo (without the prompt). */
  const run = async (cmd: string): Promise<string> => {
    const m = /^([*a-z]+)(\?|=(.*))?$/i.exec(cmd);
    const p = m ? params[m[1].toLowerCase()] : undefined;
    if (!m || !p) return 'Command error CMD_NOT_DEFINED\r';
    if (m[2] === '?') return p.query ? p.query() + '\r' : 'Command error CMD_NOT_DEFINED\r';
    if (m[2] === undefined && m[1].toLowerCase() === 'save' && p.set) return (await p.set('')) ? '' : 'Command error CMD_ARG_INVALID\r';
    if (m[2] === undefined || !p.set) return 'Command error CMD_NOT_DEFINED\r';
    return (await p.set(m[3].trim())) ? '' : 'Command error CMD_ARG_INVALID\r';
  };

  return listen(ctx.host, ctx.ports.filterWheel(index), `filter wheel ${index}`, (socket) => {
    let queue = Promise.resolve();
    socket.on(
      'data',
      lineSplitter(
        '\r',
        (cmd) => {
          queue = queue.then(async () => {
            if (ctx.faults.has('instrument-timeout', target) || socket.destroyed) return;
            socket.write(cmd + '\r');
            const reply = await run(cmd);
            if (!socket.destroyed) socket.write(reply + '> ');
          });
        },
        '\n',
      ),
    );
  });
}

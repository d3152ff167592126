import type { SimContext } from '../context.js';
import { Afg3021b } from './afg3021b.js';
import { lineSplitter, listen, type RunningServer } from './wire.js';

/**
 * The function generator's two ways in, both serving one simulated AFG3021B:
 *
 * - a raw SCPI socket on `ports.scpi`: newline-terminated program messages, each response
 *   message answered at once, newline-terminated;
 * - a Prologix GPIB-ETHERNET adapter on `ports.prologix` with the generator at GPIB address 10.
 *   Lines starting with `++` are adapter commands (`++addr`, `++auto`, `++read eoi`, `++ver`,
 *   `++mode`, `++eoi`, `++eos`, ...); every other line goes to the instrument at the current
 *   address. A response waits in the instrument's output buffer until `++read`, or comes back at
 *   once when `++auto 1`. Nothing listens at any other GPIB address, so those get no answer.
 */
export const GENERATOR_GPIB_ADDRESS = 10;
export const PROLOGIX_VERSION = 'Prologix GPIB-ETHERNET Controller version 01.06.06.00';

export async function startFunctionGenerator(ctx: SimContext): Promise<RunningServer[]> {
  const afg = new Afg3021b(ctx);
  const raw = await listen(ctx.host, ctx.ports.scpi, 'function generator (SCPI socket)', (socket) => {
    socket.on(
      'data',
      lineSplitter('\n', (line) => {
        const reply = afg.execute(line);
        if (reply !== undefined) socket.write(reply + '\n');
      }),
    );
  });
  try {
    return [raw, await startPrologix(ctx, afg)];
  } catch (e) {
    await raw.close();
    throw e;
  }
}

/** The adapter's settings persist across connections, as the real one keeps them in EEPROM. */
interface AdapterConfig {
  addr: number;
  auto: boolean;
  mode: number;
  eoi: number;
  eos: number;
  eotEnable: number;
  eotChar: number;
  readTmoMs: number;
}

function startPrologix(ctx: SimContext, afg: Afg3021b): Promise<RunningServer> {
  const cfg: AdapterConfig = {
    addr: GENERATOR_GPIB_ADDRESS,
    auto: false,
    mode: 1,
    eoi: 1,
    eos: 0,
    eotEnable: 0,
    eotChar: 0,
    readTmoMs: 500,
  };
  /** the generator's output queue: a response waits here until the controller reads it */
  let outputBuffer: string | undefined;

  const numeric =
    (key: 'mode' | 'eoi' | 'eos' | 'eotEnable' | 'eotChar' | 'readTmoMs', lo: number, hi: number) =>
    (arg: string): string | undefined => {
      if (!arg) return String(cfg[key]);
      const v = Number(arg);
      if (Number.isInteger(v) && v >= lo && v <= hi) cfg[key] = v;
      return undefined;
    };
  const adapterCommands: Record<string, (arg: string) => string | undefined> = {
    ver: () => PROLOGIX_VERSION,
    addr: (arg) => {
      if (!arg) return String(cfg.addr);
      const v = Number(arg.split(/\s+/)[0]);
      if (Number.isInteger(v) && v >= 0 && v <= 30) cfg.addr = v;
      return undefined;
    },
    auto: (arg) => {
      if (!arg) return cfg.auto ? '1' : '0';
      if (arg === '0' || arg === '1') cfg.auto = arg === '1';
      return undefined;
    },
    mode: numeric('mode', 0, 1),
    eoi: numeric('eoi', 0, 1),
    eos: numeric('eos', 0, 3),
    eot_enable: numeric('eotEnable', 0, 1),
    eot_char: numeric('eotChar', 0, 255),
    read_tmo_ms: numeric('readTmoMs', 1, 3000),
    read: () => {
      if (cfg.addr !== GENERATOR_GPIB_ADDRESS || afg.silent || outputBuffer === undefined) return undefined;
      const r = outputBuffer;
      outputBuffer = undefined;
      return r;
    },
    clr: () => {
      if (cfg.addr === GENERATOR_GPIB_ADDRESS) outputBuffer = undefined;
      return undefined;
    },
    spoll: () => (cfg.addr === GENERATOR_GPIB_ADDRESS && !afg.silent ? (outputBuffer !== undefined ? '16' : '0') : undefined),
    ifc: () => undefined,
    loc: () => undefined,
    llo: () => undefined,
    rst: () => undefined,
    savecfg: () => undefined,
    trg: () => undefined,
  };

  return listen(ctx.host, ctx.ports.prologix, 'Prologix GPIB-Ethernet adapter', (socket) => {
    socket.on(
      'data',
      lineSplitter('\r\n', (rawLine) => {
        // ESC quotes a literal CR/LF/ESC/'+' meant for the instrument; our commands never need one
        const line = rawLine.split(String.fromCharCode(0x1b)).join('');
        if (line.startsWith('++')) {
          const m = /^\+\+(\S+)\s*(.*)$/.exec(line);
          const handler = m ? adapterCommands[m[1].toLowerCase()] : undefined;
          const reply = handler ? handler(m![2].trim()) : 'Unrecognized command';
          if (reply !== undefined) socket.write(reply + '\n');
          return;
        }
        if (cfg.addr !== GENERATOR_GPIB_ADDRESS) return; // no listener on the bus at that address
        const reply = afg.execute(line);
        if (reply === undefined) return;
        if (cfg.auto) socket.write(reply + '\n');
        else outputBuffer = reply;
      }),
    );
  });
}

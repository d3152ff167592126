import type { SimContext } from '../context.js';
import {
  ScpiError,
  compileHeader,
  headerMatches,
  nr3,
  outOfRange,
  parseBool,
  parseChoice,
  parseMessage,
  parseNumber,
  requireArg,
  undefinedHeader,
  type ProgramUnit,
} from './scpi.js';

/**
 * The simulated Tektronix AFG3021B arbitrary function generator that triggers the laser. Its
 * settings live in the shared LabState (`ctx.lab.fg`) so the mainboard physics sees the laser.
 * One instance serves both of its interfaces (the raw SCPI socket and GPIB behind the Prologix
 * adapter), as one physical generator would.
 *
 * Faults: `instrument-timeout:fg` — it stops answering and ignores commands;
 * `scpi-error` — the next setting command after the fault appears is rejected with
 * -222,"Data out of range" in the error queue (once per appearance of the fault).
 */
export const AFG_IDN = 'TEKTRONIX,AFG3021B,C036512,SCPI:99.0 FV:3.2.2';

const ERROR_QUEUE_DEPTH = 32;
const FREQ_UNITS = { HZ: 1, KHZ: 1e3, MHZ: 1e6 };
const VOLT_UNITS = { V: 1, MV: 1e-3, VPP: 1 };
const SHAPES = ['SINusoid', 'SQUare', 'PULSe', 'RAMP', 'PRNoise', 'DC', 'SINC', 'GAUSsian', 'LORentz', 'ERISe', 'EDECay', 'HAVersine'];
/** the AFG3021B's upper frequency per waveform; anything not listed goes to 25 MHz */
const MAX_FREQ_HZ: Record<string, number> = {
  PULS: 12.5e6,
  RAMP: 250e3,
  PRN: 25e6,
  SINC: 200e3,
  GAUS: 200e3,
  LOR: 200e3,
  ERIS: 200e3,
  EDEC: 200e3,
  HAV: 200e3,
};
/** output range into 50 Ω */
const MAX_LEVEL_V = 5;

interface Command {
  nodes: ReturnType<typeof compileHeader>;
  set?: (args: string[]) => void;
  query?: () => string;
}

export class Afg3021b {
  private readonly errorQueue: ScpiError[] = [];
  private voltageUnit = 'VPP';
  /** the scpi-error fault fires once each time it appears */
  private faultArmed = true;
  private readonly commands: Command[];

  constructor(private readonly ctx: SimContext) {
    const fg = ctx.lab.fg;
    const cmd = (pattern: string, c: Omit<Command, 'nodes'>): Command => ({ nodes: compileHeader(pattern), ...c });
    this.commands = [
      cmd('*IDN', { query: () => AFG_IDN }),
      cmd('*RST', { set: () => this.reset() }),
      cmd('*CLS', { set: () => (this.errorQueue.length = 0) }),
      cmd('*OPC', { set: () => undefined, query: () => '1' }),
      cmd('*ESR', { query: () => '0' }),
      cmd('*STB', { query: () => (this.errorQueue.length ? '4' : '0') }),
      cmd('*WAI', { set: () => undefined }),
      cmd('SYSTem:ERRor:[NEXT]', { query: () => this.nextError() }),
      cmd('SYSTem:VERSion', { query: () => '1999.0' }),
      cmd('STATus:OPERation:CONDition', { query: () => '0' }),
      cmd('[SOURce#]:FREQuency:[CW]', {
        set: (a) => (fg.frequencyHz = parseNumber(requireArg(a), FREQ_UNITS, 1e-6, MAX_FREQ_HZ[fg.shape] ?? 25e6)),
        query: () => nr3(fg.frequencyHz),
      }),
      cmd('[SOURce#]:FREQuency:FIXed', {
        set: (a) => (fg.frequencyHz = parseNumber(requireArg(a), FREQ_UNITS, 1e-6, MAX_FREQ_HZ[fg.shape] ?? 25e6)),
        query: () => nr3(fg.frequencyHz),
      }),
      cmd('[SOURce#]:FUNCtion:[SHAPe]', {
        set: (a) => {
          const shape = parseChoice(requireArg(a), SHAPES);
          if (fg.frequencyHz > (MAX_FREQ_HZ[shape] ?? 25e6)) throw new ScpiError(-221, 'Settings conflict');
          fg.shape = shape;
        },
        query: () => fg.shape,
      }),
      cmd('[SOURce#]:VOLTage:UNIT', {
        set: (a) => (this.voltageUnit = parseChoice(requireArg(a), ['VPP', 'VRMS', 'DBM'])),
        query: () => this.voltageUnit,
      }),
      cmd('[SOURce#]:VOLTage:[LEVel]:[IMMediate]:[AMPLitude]', {
        set: (a) => {
          const vpp = parseNumber(requireArg(a), VOLT_UNITS, 0.01, 10);
          if (vpp / 2 + Math.abs(fg.offsetV) > MAX_LEVEL_V) throw outOfRange();
          fg.amplitudeVpp = vpp;
        },
        query: () => nr3(fg.amplitudeVpp),
      }),
      cmd('[SOURce#]:VOLTage:[LEVel]:[IMMediate]:OFFSet', {
        set: (a) => {
          const v = parseNumber(requireArg(a), VOLT_UNITS, -MAX_LEVEL_V, MAX_LEVEL_V);
          if (fg.amplitudeVpp / 2 + Math.abs(v) > MAX_LEVEL_V) throw outOfRange();
          fg.offsetV = v;
        },
        query: () => nr3(fg.offsetV),
      }),
      cmd('[SOURce#]:BURSt:[STATe]', {
        set: (a) => (fg.burstOn = parseBool(requireArg(a))),
        query: () => (fg.burstOn ? '1' : '0'),
      }),
      cmd('[SOURce#]:BURSt:NCYCles', {
        set: (a) => {
          const arg = requireArg(a).toUpperCase();
          fg.burstCycles = arg === 'INF' || arg === 'INFINITY' ? Infinity : Math.round(parseNumber(arg, {}, 1, 1_000_000));
        },
        query: () => (Number.isFinite(fg.burstCycles) ? nr3(fg.burstCycles) : '9.9E+37'),
      }),
      cmd('OUTPut#:[STATe]', {
        set: (a) => ctx.lab.setGeneratorOutput(parseBool(requireArg(a))),
        query: () => (fg.outputOn ? '1' : '0'),
      }),
    ];
  }

  /** True while an instrument-timeout fault makes the generator deaf and mute. */
  get silent(): boolean {
    return this.ctx.faults.has('instrument-timeout', 'fg');
  }

  /** Executes one program message; returns the response message, or undefined when it held no query. */
  execute(line: string): string | undefined {
    if (this.silent) return undefined;
    const replies: string[] = [];
    for (const unit of parseMessage(line)) {
      try {
        const r = this.executeUnit(unit);
        if (r !== undefined) replies.push(r);
      } catch (e) {
        if (!(e instanceof ScpiError)) throw e;
        this.pushError(e);
        this.ctx.log(`function generator: \`${unit.text}\` → ${e.message}`);
      }
    }
    return replies.length ? replies.join(';') : undefined;
  }

  private executeUnit(unit: ProgramUnit): string | undefined {
    const c = this.commands.find((x) => headerMatches(unit.tokens, x.nodes));
    if (!c) throw undefinedHeader();
    if (unit.query) {
      if (!c.query) throw undefinedHeader();
      return c.query();
    }
    if (!c.set) throw undefinedHeader();
    if (!unit.tokens[0].startsWith('*')) this.throwInjectedError();
    c.set(unit.args);
    return undefined;
  }

  private throwInjectedError(): void {
    if (!this.ctx.faults.has('scpi-error', 'fg')) {
      this.faultArmed = true;
    } else if (this.faultArmed) {
      this.faultArmed = false;
      throw outOfRange();
    }
  }

  private pushError(e: ScpiError): void {
    if (this.errorQueue.length >= ERROR_QUEUE_DEPTH) {
      this.errorQueue[ERROR_QUEUE_DEPTH - 1] = new ScpiError(-350, 'Queue overflow');
    } else {
      this.errorQueue.push(e);
    }
  }

  private nextError(): string {
    const e = this.errorQueue.shift();
    return e ? `${e.code},"${e.text}"` : '0,"No error"';
  }

  /** *RST: the AFG3021B's factory defaults, output off. */
  private reset(): void {
    const fg = this.ctx.lab.fg;
    fg.frequencyHz = 1e6;
    fg.shape = 'SIN';
    fg.amplitudeVpp = 1;
    fg.offsetV = 0;
    fg.burstOn = false;
    fg.burstCycles = 1;
    this.voltageUnit = 'VPP';
    this.ctx.lab.setGeneratorOutput(false);
  }
}

import { DEFAULT_TIMEOUT_MS, InstrumentLink, type LinkOptions } from './link.js';

/**
 * Driver for the laser's trigger: a Tektronix AFG3021B (or any SCPI generator with the same
 * commands), reached either
 *   - over a raw SCPI socket:       tcp://host:port
 *   - through a Prologix GPIB-ETHERNET adapter: prologix://host:port/GPIB_ADDRESS
 *     (the original station: adapter on port 1234, generator at GPIB address 10).
 *
 * A session starts with `*CLS`: errors left in the queue by someone else (garbage on a shared
 * adapter, an earlier session) are not blamed on our first setting. Every setting is followed by
 * a look at the error queue (SYST:ERR?), so a rejected setting
 * fails right there with the instrument's own error text instead of silently leaving the laser
 * at the wrong rate.
 */
export interface ScpiQueueEntry {
  code: number;
  message: string;
}

export type WaveShape = 'SIN' | 'SQU' | 'PULS' | 'RAMP';

const NAME = 'function generator';
/** the queue is at most 32 deep on the AFG; more than this means we are not talking to one */
const MAX_ERRORS_READ = 64;

export class FunctionGenerator {
  private constructor(
    private readonly link: InstrumentLink,
    /** set when the generator sits behind a Prologix adapter */
    private readonly viaPrologix: boolean,
  ) {}

  get address(): string {
    return this.link.address;
  }

  static async connect(address: string, opts: LinkOptions = {}): Promise<FunctionGenerator> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const name = opts.name ?? NAME;
    const m = /^prologix:\/\/([^/:]+):(\d+)\/(\d+)\/?$/.exec(address);
    if (m) {
      const gpib = Number(m[3]);
      if (gpib > 30) throw new Error(`${name} address ${address}: GPIB address ${gpib} is not 0..30`);
      const hint = `check that the Prologix adapter is powered and on the network, and that the generator is on, cabled to it and set to GPIB address ${gpib}`;
      const link = await InstrumentLink.open(name, address, `tcp://${m[1]}:${m[2]}`, timeoutMs, hint);
      const fg = new FunctionGenerator(link, true);
      try {
        await fg.configureAdapter(gpib);
        await fg.write('*CLS');
      } catch (e) {
        await link.close();
        throw e;
      }
      return fg;
    }
    if (!/^tcp:\/\//.test(address)) {
      throw new Error(`${name} address "${address}": expected tcp://host:port (raw SCPI socket) or prologix://host:port/GPIB_ADDRESS`);
    }
    const hint = 'check that the generator is on and reachable on the network (LAN settings, SCPI socket port)';
    const fg = new FunctionGenerator(await InstrumentLink.open(name, address, address, timeoutMs, hint), false);
    await fg.write('*CLS');
    return fg;
  }

  private async configureAdapter(gpib: number): Promise<void> {
    await this.link.write('++ver\n');
    const ver = (await this.link.readUntil('\n', '++ver')).trim();
    if (!/prologix/i.test(ver)) {
      throw this.link.error(`answered \`++ver\` with "${ver}": this does not look like a Prologix GPIB-Ethernet adapter`);
    }
    // controller mode, no automatic read-after-write (we ask with ++read), assert EOI with the
    // last byte, and append LF to every command we send to the instrument
    await this.link.write(`++mode 1\n++addr ${gpib}\n++auto 0\n++eoi 1\n++eos 2\n`);
  }

  /** Sends a command without waiting for anything. */
  write(command: string): Promise<void> {
    return this.link.exclusive(() => this.link.write(command + '\n'));
  }

  /** Sends a query and returns its response message, without the terminator. */
  query(command: string): Promise<string> {
    return this.link.exclusive(() => this.ask(command));
  }

  private async ask(command: string): Promise<string> {
    await this.link.write(this.viaPrologix ? `${command}\n++read eoi\n` : `${command}\n`);
    return (await this.link.readUntil('\n', command)).trim();
  }

  /** Sends a setting, then reads the error queue; throws naming the setting and the instrument's errors. */
  set(command: string): Promise<void> {
    return this.link.exclusive(async () => {
      await this.link.write(command + '\n');
      const errs = await this.readErrors();
      if (errs.length) {
        const list = errs.map((e) => `${e.code},"${e.message}"`).join('; ');
        throw this.link.error(`rejected \`${command}\`: ${list}`);
      }
    });
  }

  /** Reads the SCPI error queue until `0,"No error"`; an empty array means all is well. */
  errors(): Promise<ScpiQueueEntry[]> {
    return this.link.exclusive(() => this.readErrors());
  }

  private async readErrors(): Promise<ScpiQueueEntry[]> {
    const out: ScpiQueueEntry[] = [];
    for (let i = 0; i < MAX_ERRORS_READ; i++) {
      const r = await this.ask('SYST:ERR?');
      const m = /^([+-]?\d+)\s*,\s*"?(.*?)"?$/.exec(r);
      if (!m) throw this.link.error(`answered \`SYST:ERR?\` with "${r}", expected <code>,"<message>"`);
      const code = Number(m[1]);
      if (code === 0) return out;
      out.push({ code, message: m[2] });
    }
    throw this.link.error(`reported more than ${MAX_ERRORS_READ} errors in a row on \`SYST:ERR?\`: is it really an SCPI instrument?`);
  }

  async identify(): Promise<string> {
    return this.query('*IDN?');
  }

  /** *RST (output off, factory waveform) and *CLS (empty error queue). */
  async reset(): Promise<void> {
    await this.write('*RST');
    await this.write('*CLS');
    await this.query('*OPC?'); // both were worked off once this answers
  }

  async setFrequency(hz: number): Promise<void> {
    this.checkNumber('frequency', hz, 'Hz');
    await this.set(`source1:frequency ${hz}`);
  }

  async frequency(): Promise<number> {
    return this.number('source1:frequency?');
  }

  async setShape(shape: WaveShape): Promise<void> {
    await this.set(`source1:function:shape ${shape}`);
  }

  async shape(): Promise<string> {
    return this.query('source1:function:shape?');
  }

  /** Amplitude in volts peak-to-peak (sets the unit to VPP first). */
  async setAmplitude(vpp: number): Promise<void> {
    this.checkNumber('amplitude', vpp, 'Vpp');
    await this.set('source1:voltage:unit VPP');
    await this.set(`source1:voltage:amplitude ${vpp}`);
  }

  async amplitude(): Promise<number> {
    return this.number('source1:voltage:amplitude?');
  }

  async setOffset(volts: number): Promise<void> {
    this.checkNumber('offset', volts, 'V');
    await this.set(`source1:voltage:offset ${volts}`);
  }

  /** Burst mode with `cycles` periods per trigger, or continuous output with `null`. */
  async setBurst(cycles: number | null): Promise<void> {
    if (cycles === null) {
      await this.set('source1:BURSt:STATe OFF');
      return;
    }
    this.checkNumber('burst cycles', cycles, 'cycles');
    await this.set('source1:BURSt:STATe ON');
    await this.set(`source1:BURSt:NCYCles ${Math.round(cycles)}`);
  }

  async enableOutput(): Promise<void> {
    await this.set('output1:state on');
  }

  /** Turns the output off, which stops the laser. */
  async disableOutput(): Promise<void> {
    await this.set('output1:state off');
  }

  async outputOn(): Promise<boolean> {
    const r = (await this.query('output1:state?')).toUpperCase();
    if (r === '1' || r === 'ON') return true;
    if (r === '0' || r === 'OFF') return false;
    throw this.link.error(`answered \`output1:state?\` with "${r}", expected 1 or 0`);
  }

  /** As the original FG3101().startup(): output off, a 3 Vpp square wave at 1 kHz, output on. */
  async startup(): Promise<void> {
    await this.disableOutput();
    await this.setShape('SQU');
    await this.setAmplitude(3);
    await this.setFrequency(1000);
    await this.enableOutput();
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private async number(query: string): Promise<number> {
    const r = await this.query(query);
    const v = Number(r);
    if (r === '' || !Number.isFinite(v)) throw this.link.error(`answered \`${query}\` with "${r}", expected a number`);
    return v;
  }

  private checkNumber(what: string, v: number, unit: string): void {
    if (!Number.isFinite(v)) throw new Error(`${this.link.name} at ${this.address}: ${what} must be a finite number of ${unit}, got ${v}`);
  }
}

import { DEFAULT_TIMEOUT_MS, InstrumentLink, type LinkOptions } from './link.js';

/**
 * Driver for a Thorlabs FW102C motorised filter wheel (serial, 115200 baud, or through a
 * serial-to-Ethernet server). The wheel echoes each CR-terminated command, sends its answer
 * line(s) ending in CR, then the prompt `> `.
 *
 * The FAT sees the wheels as transmissions: give the strengths table of the station file
 * (transmission of the filter in each position, index 0 = position 1) and use setStrength().
 */
export interface FilterWheelOptions extends LinkOptions {
  /** transmission of the filter in each position, index 0 = position 1 */
  strengths?: readonly number[];
  /** how long a move may take before we give up (wall ms; a half turn at low speed is about 4 s) */
  moveTimeoutMs?: number;
}

const PROMPT = '> ';
/** two transmissions closer than this are the same filter (the table holds values like 0.32) */
const STRENGTH_TOLERANCE = 1e-6;

export class FilterWheel {
  private count: number | undefined;

  private constructor(
    private readonly link: InstrumentLink,
    readonly strengths: readonly number[] | undefined,
    private readonly moveTimeoutMs: number,
  ) {}

  get address(): string {
    return this.link.address;
  }

  static async connect(address: string, opts: FilterWheelOptions = {}): Promise<FilterWheel> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const name = opts.name ?? 'filter wheel';
    const hint = 'check that the wheel is powered, its serial cable (or serial server) is connected and the port runs at 115200 baud';
    const link = await InstrumentLink.open(name, address, address, timeoutMs, hint);
    return new FilterWheel(link, opts.strengths ? [...opts.strengths] : undefined, opts.moveTimeoutMs ?? timeoutMs + 8000);
  }

  /**
   * Sends one command and returns its answer lines (without echo and prompt). A "Command error"
   * from the wheel becomes an error naming the command.
   */
  async command(cmd: string, timeoutMs?: number): Promise<string[]> {
    const raw = await this.link.exclusive(async () => {
      await this.link.write(cmd + '\r');
      return this.link.readUntil(PROMPT, cmd, timeoutMs);
    });
    const lines = raw
      .slice(0, -PROMPT.length)
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    if (lines[0] === cmd) lines.shift(); // the echo
    const err = lines.find((l) => /^command error/i.test(l));
    if (err) throw this.link.error(`refused \`${cmd}\`: ${err}`);
    return lines;
  }

  private async queryOne(cmd: string): Promise<string> {
    const lines = await this.command(cmd);
    if (lines.length !== 1) throw this.link.error(`answered \`${cmd}\` with ${JSON.stringify(lines)}, expected one line`);
    return lines[0];
  }

  private async queryInt(cmd: string): Promise<number> {
    const r = await this.queryOne(cmd);
    if (!/^\d+$/.test(r)) throw this.link.error(`answered \`${cmd}\` with "${r}", expected a whole number`);
    return Number(r);
  }

  async identify(): Promise<string> {
    return this.queryOne('*idn?');
  }

  /** Number of filter positions (6 for an FW102C). */
  async positionCount(): Promise<number> {
    this.count ??= await this.queryInt('pcount?');
    return this.count;
  }

  /** Current position, 1-based. */
  async position(): Promise<number> {
    return this.queryInt('pos?');
  }

  /** Turns to `pos` (1-based), waits for the move and checks where the wheel reports it is. */
  async setPosition(pos: number): Promise<void> {
    const n = await this.positionCount();
    if (!Number.isInteger(pos) || pos < 1 || pos > n) {
      throw new Error(`${this.link.name} at ${this.address}: position ${pos} does not exist (the wheel has positions 1..${n})`);
    }
    // the prompt comes back only once the wheel has stopped
    await this.command(`pos=${pos}`, this.moveTimeoutMs);
    const now = await this.position();
    if (now !== pos) throw this.link.error(`reports position ${now} after \`pos=${pos}\`: the wheel may be blocked`);
  }

  /** Switches the position sensors off when idle (the original's disable_running_lights). */
  async disableRunningLights(): Promise<void> {
    await this.command('sensors=0');
  }

  /** The distinct transmissions of this wheel, smallest first. */
  validStrengths(): number[] {
    return [...new Set(this.table())].sort((a, b) => a - b);
  }

  /** Transmission of the filter in front of the beam now. */
  async strength(): Promise<number> {
    const pos = await this.position();
    const s = this.table()[pos - 1];
    if (s === undefined)
      throw new Error(`${this.link.name} at ${this.address} stands at position ${pos}, which the strengths table does not list`);
    return s;
  }

  /** Turns to the filter with transmission `s`; fails if this wheel has no such filter. */
  async setStrength(s: number): Promise<void> {
    const table = this.table();
    const i = table.findIndex((x) => Math.abs(x - s) <= STRENGTH_TOLERANCE);
    if (i < 0) {
      throw new Error(
        `${this.link.name} at ${this.address} has no filter with transmission ${s} (it has ${this.validStrengths().join(', ')})`,
      );
    }
    await this.setPosition(i + 1);
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private table(): readonly number[] {
    if (!this.strengths)
      throw new Error(`${this.link.name} at ${this.address}: no strengths table given (filter_wheels[].strengths in the station file)`);
    return this.strengths;
  }
}

import { DEFAULT_TIMEOUT_MS, InstrumentLink, type LinkOptions } from './link.js';

/**
 * Driver for the freezer's set-point controller. The protocol is icefat's own, documented in
 * src/sim/peripherals/freezer.ts: commands end with CR LF, replies are one line ending with
 * CR LF; `SP?` → `SP -40.0`, `SP -40.0` → `OK`, `PV?` → `PV -38.2`, errors start with `ERR`.
 */
export class FreezerController {
  private constructor(private readonly link: InstrumentLink) {}

  get address(): string {
    return this.link.address;
  }

  static async connect(address: string, opts: LinkOptions = {}): Promise<FreezerController> {
    const hint = 'check that the freezer controller is powered and its serial cable (or serial server) is connected';
    const link = await InstrumentLink.open(opts.name ?? 'freezer controller', address, address, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, hint);
    return new FreezerController(link);
  }

  private query(cmd: string): Promise<string> {
    return this.link.lineQuery(cmd, (r) => r.replace(/^ERR\s*/, ''));
  }

  private async value(cmd: string, tag: string): Promise<number> {
    const r = await this.query(cmd);
    const m = new RegExp(`^${tag}\\s+([+-]?\\d+(?:\\.\\d*)?)$`).exec(r);
    if (!m) throw this.link.error(`answered \`${cmd}\` with "${r}", expected "${tag} <celsius>"`);
    return Number(m[1]);
  }

  async identify(): Promise<string> {
    return this.query('*IDN?');
  }

  /** Set point in °C. */
  async setpoint(): Promise<number> {
    return this.value('SP?', 'SP');
  }

  /** New set point in °C; the controller refuses values outside its range (-50..+30 °C). */
  async setSetpoint(celsius: number): Promise<void> {
    if (!Number.isFinite(celsius))
      throw new Error(`${this.link.name} at ${this.address}: set point must be a number of °C, got ${celsius}`);
    const cmd = `SP ${celsius.toFixed(1)}`;
    const r = await this.query(cmd);
    if (r !== 'OK') throw this.link.error(`answered \`${cmd}\` with "${r}", expected OK`);
  }

  /** Freezer air temperature in °C as the controller measures it. */
  async temperature(): Promise<number> {
    return this.value('PV?', 'PV');
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

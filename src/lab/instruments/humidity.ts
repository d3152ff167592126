import { DEFAULT_TIMEOUT_MS, InstrumentLink, type LinkOptions } from './link.js';

/**
 * Driver for the freezer's humidity/temperature probes (H1 at the door, H2 at the back). The
 * protocol is icefat's own, documented in src/sim/peripherals/humidity.ts: commands end with
 * CR LF, replies are one line ending with CR LF; `READ?` → `RH=23.4 T=-38.9`, `*IDN?` →
 * `maker,model,serial,firmware`, errors start with `ERR`.
 */
export interface HumidityReading {
  relativeHumidityPct: number;
  temperatureC: number;
}

export class HumiditySensor {
  private constructor(private readonly link: InstrumentLink) {}

  get address(): string {
    return this.link.address;
  }

  static async connect(address: string, opts: LinkOptions = {}): Promise<HumiditySensor> {
    const hint = 'check that the probe is connected and its serial cable (or serial server) is plugged in';
    const link = await InstrumentLink.open(opts.name ?? 'humidity sensor', address, address, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, hint);
    return new HumiditySensor(link);
  }

  private query(cmd: string): Promise<string> {
    return this.link.lineQuery(cmd);
  }

  async identify(): Promise<string> {
    return this.query('*IDN?');
  }

  async read(): Promise<HumidityReading> {
    const r = await this.query('READ?');
    const m = /^RH=([+-]?\d+(?:\.\d*)?)\s+T=([+-]?\d+(?:\.\d*)?)$/.exec(r);
    if (!m) throw this.link.error(`answered \`READ?\` with "${r}", expected "RH=<percent> T=<celsius>"`);
    return { relativeHumidityPct: Number(m[1]), temperatureC: Number(m[2]) };
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

import { TransportTimeout } from '../transport/transport.js';
import { DEFAULT_TIMEOUT_MS, InstrumentLink, type LinkOptions } from './link.js';

/**
 * Driver for a Lutron TM-947SD 4-channel thermometer with its RS-232 output on. The meter talks
 * without being asked: 16-byte data words, one channel each, in turn:
 *   0x02 '4' <channel '1'..'4'> <annunciator 2 digits: 01 °C, 02 °F> <polarity '0'|'1'>
 *   <decimal point position '0'..'3'> <8 digits, most significant first> 0x0D
 *
 * Station channels: 1 D-Egg surface, 2 box surface outside, 3 box surface inside, 4 freezer air.
 */
export type ThermometerChannel = 1 | 2 | 3 | 4;
export type ThermometerReadings = Record<ThermometerChannel, number>;

const FRAME_LEN = 16;
const STX = 0x02;
const CR = 0x0d;
const DIGIT_0 = 0x30;

/**
 * Byte-level parser for the meter's stream. Feed it whatever arrives, in any chunking; it
 * resynchronises on 0x02 after garbage, a cut-off word or a line joined mid-stream, and drops
 * any word that is not well formed.
 */
export class Tm947Parser {
  private readonly frame = new Uint8Array(FRAME_LEN);
  private n = 0;
  /** words dropped as malformed since the parser was made */
  rejected = 0;

  push(chunk: Uint8Array, onReading: (channel: ThermometerChannel, celsius: number) => void): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === STX) {
        if (this.n > 0) this.rejected++; // a new word began before the old one ended
        this.frame[0] = b;
        this.n = 1;
        continue;
      }
      if (this.n === 0) continue; // hunting for a start byte
      this.frame[this.n++] = b;
      if (this.n < FRAME_LEN) continue;
      this.n = 0;
      const ch = decodeChannel(this.frame);
      const c = ch === 0 ? NaN : decodeCelsius(this.frame);
      if (Number.isNaN(c)) this.rejected++;
      else onReading(ch as ThermometerChannel, c);
    }
  }

  reset(): void {
    this.n = 0;
  }
}

const isDigit = (b: number) => b >= DIGIT_0 && b <= DIGIT_0 + 9;

function decodeChannel(f: Uint8Array): number {
  if (f[15] !== CR || f[1] !== 0x34) return 0;
  const ch = f[2] - DIGIT_0;
  return ch >= 1 && ch <= 4 ? ch : 0;
}

/** Temperature in °C of a well-framed word, NaN if the word is not a valid reading. */
export function decodeCelsius(f: Uint8Array): number {
  for (let i = 3; i <= 14; i++) if (!isDigit(f[i])) return NaN;
  const unit = (f[3] - DIGIT_0) * 10 + (f[4] - DIGIT_0);
  const negative = f[5] === DIGIT_0 + 1;
  const decimals = f[6] - DIGIT_0;
  if (f[5] > DIGIT_0 + 1 || decimals > 3) return NaN;
  let v = 0;
  for (let i = 7; i <= 14; i++) v = v * 10 + (f[i] - DIGIT_0);
  v = (negative ? -v : v) / 10 ** decimals;
  if (unit === 1) return v;
  if (unit === 2) return ((v - 32) * 5) / 9;
  return NaN;
}

export class Thermometer {
  private readonly parser = new Tm947Parser();

  private constructor(private readonly link: InstrumentLink) {}

  get address(): string {
    return this.link.address;
  }

  static async connect(address: string, opts: LinkOptions = {}): Promise<Thermometer> {
    const hint =
      'check that the thermometer is on, its RS-232 output is enabled (it only sends while it does) and its cable or serial server is connected';
    const link = await InstrumentLink.open(opts.name ?? 'thermometer', address, address, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, hint);
    return new Thermometer(link);
  }

  /**
   * Listens until every channel has reported once after this call, and returns °C per channel.
   * Words that arrived earlier are discarded, so the answer is fresh.
   */
  readAll(timeoutMs = 3 * DEFAULT_TIMEOUT_MS): Promise<ThermometerReadings> {
    return this.link.exclusive(() => this.listen(timeoutMs));
  }

  private async listen(timeoutMs: number): Promise<ThermometerReadings> {
    const seen = new Float64Array(5).fill(NaN);
    let missing = 4;
    await this.discardBuffered();
    this.parser.reset();
    const deadline = Date.now() + timeoutMs;
    const waitingFor = 'a data word from each of channels 1-4';
    while (missing > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const got = [1, 2, 3, 4].filter((c) => !Number.isNaN(seen[c]));
        throw this.link.error(
          `did not send ${waitingFor} within ${timeoutMs} ms (heard from ${got.length ? `channel ${got.join(', ')}` : 'no channel'}): ${this.link.hint}`,
        );
      }
      const idleMs = Math.min(left, this.link.timeoutMs);
      let chunk: Buffer;
      try {
        chunk = await this.link.transport.readUntil((b) => b.length, idleMs);
      } catch (e) {
        if (!(e instanceof TransportTimeout)) throw this.link.translate(e, waitingFor, idleMs);
        if (idleMs < this.link.timeoutMs) continue; // the overall deadline, reported above
        throw this.link.error(`sent nothing for ${idleMs} ms (expected ${waitingFor}): ${this.link.hint}`);
      }
      this.parser.push(chunk, (ch, c) => {
        if (Number.isNaN(seen[ch])) missing--;
        seen[ch] = c;
      });
    }
    return { 1: seen[1], 2: seen[2], 3: seen[3], 4: seen[4] };
  }

  close(): Promise<void> {
    return this.link.close();
  }

  /** what is buffered, dropped at once (no wall-clock wait for a stream that has nothing new yet) */
  private async discardBuffered(): Promise<void> {
    await this.link.transport.drain(0);
  }
}

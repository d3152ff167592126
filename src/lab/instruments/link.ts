import { openTransport } from '../transport/open.js';
import { TransportClosed, TransportTimeout, untilDelimiter, type Transport } from '../transport/transport.js';

/**
 * An instrument problem a person can act on: it names the instrument, its address, what was
 * expected, and what to check.
 */
export class InstrumentError extends Error {
  constructor(
    readonly instrument: string,
    readonly address: string,
    message: string,
  ) {
    super(message);
    this.name = 'InstrumentError';
  }
}

export interface LinkOptions {
  /** how long the instrument may stay silent before a read fails (wall ms) */
  timeoutMs?: number;
  /** name in error messages, e.g. "filter wheel 0" */
  name?: string;
}

export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * A driver's view of one instrument connection: writes text, reads up to a terminator, and turns
 * transport failures into errors naming the instrument, its address, the command and a hint.
 * `address` is what the user wrote in the station file (it may differ from the transport's, e.g.
 * prologix://host:1234/10 over tcp://host:1234).
 */
export class InstrumentLink {
  /** the end of the chain of exchanges; see exclusive() */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly transport: Transport,
    readonly name: string,
    readonly address: string,
    readonly timeoutMs: number,
    /** what to check when the instrument does not answer */
    readonly hint: string,
  ) {}

  static async open(name: string, address: string, transportAddress: string, timeoutMs: number, hint: string): Promise<InstrumentLink> {
    try {
      return new InstrumentLink(await openTransport(transportAddress), name, address, timeoutMs, hint);
    } catch (e) {
      throw new InstrumentError(name, address, `${name} at ${address}: cannot connect (${(e as Error).message}): ${hint}`);
    }
  }

  /**
   * Runs one exchange (a command and its answer) after every earlier one has finished, so two
   * callers sharing a driver (a task and the status check) never read each other's answers.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  error(message: string): InstrumentError {
    return new InstrumentError(this.name, this.address, `${this.name} at ${this.address} ${message}`);
  }

  async write(text: string): Promise<void> {
    try {
      await this.transport.write(text);
    } catch (e) {
      throw this.error(`could not be written to (${(e as Error).message}): ${this.hint}`);
    }
  }

  /**
   * One exchange of icefat's own line protocols (the freezer controller, the humidity probes):
   * `cmd` and CR LF out, one line back, trimmed. An answer that starts with `ERR` is a refusal,
   * thrown with `reason(answer)`.
   */
  async lineQuery(cmd: string, reason: (answer: string) => string = (r) => r): Promise<string> {
    const r = await this.exclusive(async () => {
      await this.write(cmd + '\r\n');
      return (await this.readUntil('\n', cmd)).trim();
    });
    if (r.startsWith('ERR')) throw this.error(`refused \`${cmd}\`: ${reason(r)}`);
    return r;
  }

  /** Reads up to and including `delim`; `waitingFor` says what for, e.g. "*IDN?". */
  async readUntil(delim: string, waitingFor: string, timeoutMs = this.timeoutMs): Promise<string> {
    return (await this.readBytes(untilDelimiter(delim), waitingFor, timeoutMs)).toString('latin1');
  }

  async readBytes(done: (buf: Buffer) => number, waitingFor: string, timeoutMs = this.timeoutMs): Promise<Buffer> {
    try {
      return await this.transport.readUntil(done, timeoutMs);
    } catch (e) {
      throw this.translate(e, waitingFor, timeoutMs);
    }
  }

  /** Turns a transport failure into an error naming the instrument and what it was asked. */
  translate(e: unknown, waitingFor: string, timeoutMs: number): Error {
    if (e instanceof TransportTimeout) {
      const got = e.received.length ? ` (got ${JSON.stringify(e.received.toString('latin1').slice(0, 60))})` : '';
      return this.error(`did not answer \`${waitingFor}\` within ${timeoutMs} ms${got}: ${this.hint}`);
    }
    if (e instanceof TransportClosed) {
      return this.error(`closed the connection while we waited for the answer to \`${waitingFor}\`: ${this.hint}`);
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

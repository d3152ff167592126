import { realClock, type Clock } from '../../clock/clock.js';
import { TransportClosed, TransportTimeout, type Transport } from '../transport/transport.js';
import { IcebootError, showReply } from './errors.js';

/**
 * The iceboot console framing (iceboot-protocol.md §2.2-2.3) over one device port.
 *
 * Each line sent comes back as: its echo (the exact bytes sent, `\r\n` included), the output, then
 * the prompt `\r\n> `. Reads time out on silence (wall time), not on total duration: a reply timeout
 * is a watchdog against a dead peer and never delays a healthy exchange. The idle waits of the
 * procedure (the settle and quiet periods of the session open, the silence after `reboot`) always
 * elapse on a healthy path, so they go through the clock the console is given: wall time on a real
 * lab, no wall time at all on a dry run's virtual clock.
 *
 * Unlike the original Python client, a timeout or a malformed reply marks the console "dirty":
 * before the next command it waits for the late reply's prompt (or for the line to go quiet) and
 * throws away whatever arrived, so one slow answer does not shift every later reply by one.
 */
export const EOL = '\r\n';
export const PROMPT = '\r\n> ';
const PROMPT_BYTES = Buffer.from(PROMPT, 'latin1');
const SHORT_PROMPT = Buffer.from('> ', 'latin1');

export interface ConsoleOptions {
  /** how the module is named in errors, e.g. "D-Egg DEgg2021-3-085"; default "D-Egg" */
  name?: string;
  /** how long a resynchronisation waits for a late reply's prompt (wall ms); default 1000 */
  resyncMs?: number;
  /** the clock of the idle waits (settle, quiet periods, the silence after `reboot`); default the wall clock */
  clock?: Clock;
}

const endsWith = (b: Buffer, tail: Buffer): boolean => b.length >= tail.length && b.subarray(b.length - tail.length).equals(tail);

/**
 * How long a module may stay silent after a short command (wall time: it guards against a peer that
 * died, not lab time). A mainboard answers in milliseconds; the margin is for a loaded station
 * computer, where a reply can wait on the event loop for a second or more.
 */
export const REPLY_TIMEOUT_MS = 3000;

export class IcebootConsole {
  /** e.g. `D-Egg at tcp://127.0.0.1:5006` */
  readonly module: string;
  private dirty = false;
  private readonly resyncMs: number;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly transport: Transport,
    opts: ConsoleOptions = {},
  ) {
    this.module = `${opts.name ?? 'D-Egg'} at ${transport.address}`;
    this.resyncMs = opts.resyncMs ?? 1000;
    this.clock = opts.clock ?? realClock;
  }

  get address(): string {
    return this.transport.address;
  }

  get closed(): boolean {
    return this.transport.closed;
  }

  /** Sends one line and returns its output, echo and prompt stripped (`""` for a silent word). */
  cmd(line: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<string> {
    return this.exclusive(async () => {
      const echo = Buffer.from(withoutEol(line) + EOL, 'latin1');
      const shown = withoutEol(line);
      await this.send(echo, shown);
      const minLen = echo.length + PROMPT_BYTES.length;
      let reply: Buffer;
      try {
        reply = await this.transport.readUntil((b) => (b.length >= minLen && endsWith(b, PROMPT_BYTES) ? b.length : 0), timeoutMs);
      } catch (e) {
        throw this.readFailure(e, shown, timeoutMs);
      }
      if (!reply.subarray(0, echo.length).equals(echo)) {
        this.dirty = true;
        const at = reply.indexOf(echo);
        const what =
          at > 0
            ? `${at} unexpected bytes before the echo (expected the echo first)`
            : 'a reply that does not start with the echo of the command';
        throw new IcebootError(
          'unexpected',
          this.module,
          shown,
          `${this.module} answered "${shown}" with ${what}: ${showReply(reply.toString('latin1'))}; the line may be noisy or another program may be talking to the module`,
        );
      }
      return reply.subarray(echo.length, reply.length - PROMPT_BYTES.length).toString('latin1');
    });
  }

  /**
   * Sends a line whose reply framing is not known yet (`boot`, `true setecho` before echo is on, a
   * bootloader) and returns everything up to and including the first `> ` that ends the input.
   */
  loose(line: string, timeoutMs: number): Promise<string> {
    return this.exclusive(async () => {
      const shown = withoutEol(line);
      await this.send(Buffer.from(shown + EOL, 'latin1'), shown);
      try {
        const reply = await this.readShortPrompt(timeoutMs);
        return reply.toString('latin1');
      } catch (e) {
        throw this.readFailure(e, shown, timeoutMs);
      }
    });
  }

  /**
   * `receiveRawCmd`: the echo, exactly `nBytes` of binary payload, then anything up to `> `.
   * `timeoutMs` is the longest silence allowed (a charge block may take minutes to fill).
   */
  rawCmd(line: string, nBytes: number, timeoutMs: number): Promise<Buffer> {
    const what = `${nBytes} bytes of data`;
    return this.binaryCmd(line, timeoutMs, what, async (shown) => {
      // a word that fails prints `<word>: FAIL` instead of its data; catch that rather than
      // wait out a long timeout for bytes that will never come
      const payload = await this.transport.readUntil((b) => (isErrorText(b) ? b.length : b.length >= nBytes ? nBytes : 0), timeoutMs);
      if (payload.length < nBytes || isErrorText(payload)) throw this.notData(shown, payload, what, ' (is the FPGA configured?)');
      return payload;
    });
  }

  /**
   * `receiveGZDataTransfer`: the echo, then chunks of a little-endian uint16 length and that many
   * bytes until the length 0xFFFF, then the prompt. Returns the chunks joined (a gzip file).
   * `timeoutMs` is the longest silence allowed.
   */
  gzCmd(line: string, timeoutMs: number): Promise<Buffer> {
    const what = 'a compressed transfer';
    return this.binaryCmd(line, timeoutMs, what, async (shown) => {
      const chunks: Buffer[] = [];
      for (;;) {
        // before the first chunk the word may print `<word>: FAIL` instead
        const first = chunks.length === 0;
        const piece = await this.transport.readUntil((b) => (first && isErrorText(b) ? b.length : gzChunkLength(b)), timeoutMs);
        if (first && isErrorText(piece)) throw this.notData(shown, piece, what);
        if (piece.readUInt16LE(0) === GZ_EOT) break;
        chunks.push(piece.subarray(2));
      }
      return Buffer.concat(chunks);
    });
  }

  /**
   * Sends a line and swallows the silence that follows (`reboot` never returns a prompt): waits
   * `waitMs` (on the console's clock: the time the module takes to restart), then throws away
   * whatever the module printed meanwhile. Returns that text.
   */
  sendExpectingSilence(line: string, waitMs: number): Promise<string> {
    return this.exclusive(async () => {
      const shown = withoutEol(line);
      await this.send(Buffer.from(shown + EOL, 'latin1'), shown);
      await this.clock.sleep(waitMs);
      if (this.transport.closed) throw this.readFailure(new TransportClosed(this.address, Buffer.alloc(0)), shown, waitMs);
      return (await this.transport.drain(50, this.clock)).toString('latin1');
    });
  }

  /**
   * Reads `nBytes` that the device port sends without a command (a RapCal packet after `rapcal` on
   * the ICM command port). `what` names them in errors.
   */
  readUnsolicited(nBytes: number, timeoutMs: number, what: string): Promise<Buffer> {
    return this.exclusive(async () => {
      try {
        return await this.transport.readExactly(nBytes, timeoutMs);
      } catch (e) {
        throw this.readFailure(e, what, timeoutMs, `${nBytes} bytes`);
      }
    });
  }

  /** Discards pending input after `settleMs` on the console's clock (the session-open drain). */
  async settle(settleMs: number): Promise<void> {
    await this.exclusive(async () => {
      await this.clock.sleep(settleMs);
      await this.transport.drain(0);
    });
  }

  /**
   * Discards input until the line has been quiet for `idleMs` on the console's clock (after words
   * whose output may come in pieces).
   */
  async quiet(idleMs: number): Promise<void> {
    await this.exclusive(() => this.transport.drain(idleMs, this.clock));
  }

  async closeTransport(): Promise<void> {
    await this.transport.close();
  }

  /**
   * A line whose reply is binary: its echo, then what `read` takes (`what` names it in errors),
   * then anything up to `> `.
   */
  private binaryCmd<T>(line: string, timeoutMs: number, what: string, read: (shown: string) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const shown = withoutEol(line);
      const echo = Buffer.from(shown + EOL, 'latin1');
      await this.send(echo, shown);
      try {
        await this.expectEcho(echo, shown, timeoutMs);
        const data = await read(shown);
        await this.readShortPrompt(timeoutMs);
        return data;
      } catch (e) {
        if (e instanceof IcebootError) throw e;
        throw this.readFailure(e, shown, timeoutMs, what);
      }
    });
  }

  /** The module printed text (`<word>: FAIL`, ...) where `what` belonged. */
  private notData(shown: string, reply: Buffer, what: string, hintIfFailed = ''): IcebootError {
    const text = reply.toString('latin1').replace(/\r\n> $/, '');
    this.dirty = true;
    const failed = /: FAIL/.test(text);
    return new IcebootError(
      failed ? 'failed' : 'unexpected',
      this.module,
      shown,
      `${this.module} answered "${shown}" with ${showReply(text)} instead of ${what}${failed ? hintIfFailed : ''}`,
    );
  }

  /** Reads up to and including the next `> `. */
  private readShortPrompt(timeoutMs: number): Promise<Buffer> {
    return this.transport.readUntil((b) => (endsWith(b, SHORT_PROMPT) ? b.length : 0), timeoutMs);
  }

  /** Reads the echo that starts a binary reply; anything else makes the data untrustworthy. */
  private async expectEcho(echo: Buffer, shown: string, timeoutMs: number): Promise<void> {
    const got = await this.transport.readExactly(echo.length, timeoutMs);
    if (got.equals(echo)) return;
    this.dirty = true;
    throw new IcebootError(
      'unexpected',
      this.module,
      shown,
      `${this.module} answered "${shown}" with ${showReply(got.toString('latin1'))} where the echo of the command belongs; binary data is not trusted after that`,
    );
  }

  /** Commands run one at a time even when callers do not wait for each other. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async send(bytes: Buffer, shown: string): Promise<void> {
    if (this.dirty) await this.resync();
    try {
      await this.transport.write(bytes);
    } catch (e) {
      throw new IcebootError(
        'closed',
        this.module,
        shown,
        `${this.module}: cannot send "${shown}": ${(e as Error).message}; reopen the session (is its DomNet instance still running?)`,
      );
    }
  }

  /** Waits for a late reply to finish (its trailing prompt), then for the line to go quiet. */
  private async resync(): Promise<void> {
    try {
      await this.readShortPrompt(this.resyncMs);
    } catch {
      // silence or a closed port: either way nothing stale is left to read
    }
    if (!this.transport.closed) await this.transport.drain(50, this.clock);
    this.dirty = false;
  }

  private readFailure(e: unknown, shown: string, timeoutMs: number, expected = 'a reply'): IcebootError {
    this.dirty = true;
    if (e instanceof TransportTimeout) {
      const got = e.received.length ? ` (it sent only ${showReply(e.received.toString('latin1'))})` : '';
      return new IcebootError(
        'timeout',
        this.module,
        shown,
        `${this.module} did not answer "${shown}" within ${timeoutMs} ms${expected === 'a reply' ? '' : ` (expected ${expected})`}${got}: check that the module is powered and its DomNet instance runs (fat setup)`,
      );
    }
    if (e instanceof TransportClosed) {
      return new IcebootError(
        'closed',
        this.module,
        shown,
        `${this.module} closed the connection while answering "${shown}": check its DomNet instance (fat setup) and reopen the session`,
      );
    }
    return new IcebootError('unexpected', this.module, shown, `${this.module}: "${shown}" failed: ${(e as Error).message}`);
  }
}

/** GZSTREAM_EOT: the chunk length that ends a compressed transfer */
const GZ_EOT = 0xffff;

/** bytes of the first whole chunk (length word included) at the front of `b`, or 0 while it is incomplete */
function gzChunkLength(b: Buffer): number {
  if (b.length < 2) return 0;
  const n = b.readUInt16LE(0);
  if (n === GZ_EOT) return 2;
  return b.length >= 2 + n ? 2 + n : 0;
}

/** A short console error (`<word>: FAIL`, `<word>: unknown word`) and its prompt, where binary data was expected. */
function isErrorText(b: Buffer): boolean {
  if (b.length > 200 || !endsWith(b, PROMPT_BYTES)) return false;
  return /^[\x21-\x7e]+: [\x20-\x7e]*\r\n> $/.test(b.toString('latin1'));
}

function withoutEol(line: string): string {
  return line.endsWith(EOL) ? line.slice(0, -EOL.length) : line;
}

import type { Clock } from '../../clock/clock.js';

/**
 * A byte-stream connection to an instrument: a TCP socket or a serial port. Drivers write commands
 * and read replies through the same small surface, so a driver does not care whether its
 * instrument sits behind a serial-to-Ethernet server, a USB adapter or the simulator.
 *
 * Reads are idle timeouts in wall time: a read fails when the instrument stays silent for
 * `timeoutMs`, not when a long transfer takes long.
 */
export interface Transport {
  /** human-readable address for error messages, e.g. "tcp://127.0.0.1:5000" */
  readonly address: string;
  write(data: string | Uint8Array): Promise<void>;
  /** Reads until `done(buffer)` returns the number of bytes that make up the message (> 0). */
  readUntil(done: (buf: Buffer) => number, timeoutMs: number): Promise<Buffer>;
  /** Reads exactly `n` bytes. */
  readExactly(n: number, timeoutMs: number): Promise<Buffer>;
  /**
   * Discards everything that arrives until the line has been quiet for `idleMs` of `clock` (an idle
   * wait of the procedure, not a watchdog; default the wall clock).
   */
  drain(idleMs: number, clock?: Clock): Promise<Buffer>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export class TransportTimeout extends Error {
  constructor(
    readonly address: string,
    readonly timeoutMs: number,
    readonly received: Buffer,
  ) {
    super(
      `${address}: no reply within ${timeoutMs} ms` +
        (received.length ? ` (got ${JSON.stringify(received.toString('latin1').slice(0, 80))} so far)` : ''),
    );
    this.name = 'TransportTimeout';
  }
}

export class TransportClosed extends Error {
  constructor(
    readonly address: string,
    readonly received: Buffer,
  ) {
    super(`${address}: connection closed by the instrument`);
    this.name = 'TransportClosed';
  }
}

/** Terminator helper: a message ends at the first occurrence of `delim` (inclusive). */
export function untilDelimiter(delim: string | Buffer): (buf: Buffer) => number {
  const d = typeof delim === 'string' ? Buffer.from(delim, 'latin1') : delim;
  return (buf) => {
    const i = buf.indexOf(d);
    return i < 0 ? 0 : i + d.length;
  };
}

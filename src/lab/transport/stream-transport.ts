import { realClock, type Clock } from '../../clock/clock.js';
import { TransportClosed, TransportTimeout, type Transport } from './transport.js';

interface Waiter {
  check: () => boolean;
  reject: (e: Error) => void;
}

/**
 * The buffering shared by every byte stream: incoming chunks go into one buffer, and a pending read
 * is re-checked on each chunk. Subclasses only say how to write and close.
 */
export abstract class StreamTransport implements Transport {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: Waiter | undefined;
  /** chunks received so far (a drain sees whether the line stayed quiet) */
  private chunks = 0;
  closed = false;

  protected constructor(readonly address: string) {}

  protected abstract send(data: Buffer): Promise<void>;
  protected abstract shutdown(): Promise<void>;

  protected onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.chunks++;
    this.waiter?.check();
  }

  protected onClose(): void {
    this.closed = true;
    this.waiter?.check();
  }

  protected onError(err: Error): void {
    this.waiter?.reject(new Error(`${this.address}: ${err.message}`));
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.closed) throw new TransportClosed(this.address, Buffer.alloc(0));
    await this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
  }

  readUntil(done: (buf: Buffer) => number, timeoutMs: number): Promise<Buffer> {
    return this.wait(() => {
      const n = this.buf.length ? done(this.buf) : 0;
      return n > 0 ? n : undefined;
    }, timeoutMs);
  }

  readExactly(n: number, timeoutMs: number): Promise<Buffer> {
    return this.wait(() => (this.buf.length >= n ? n : undefined), timeoutMs);
  }

  async drain(idleMs: number, clock: Clock = realClock): Promise<Buffer> {
    // quiet: no chunk for `idleMs` of the clock, counted from the call or the last chunk seen since
    let seen = this.chunks;
    let since = clock.now();
    for (;;) {
      const quietFor = clock.now() - since;
      if (quietFor >= idleMs || this.closed) break;
      await clock.sleep(idleMs - quietFor);
      if (this.chunks !== seen) {
        seen = this.chunks;
        since = clock.now();
      }
    }
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  private wait(take: () => number | undefined, timeoutMs: number): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error(`${this.address}: a read is already in progress`));
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      // wall: a watchdog against a silent peer, cleared when the reply is complete (a reply timeout
      // on a virtual clock would fire at once: the clock jumps whenever something sleeps)
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(new TransportTimeout(this.address, timeoutMs, this.buf)), timeoutMs);
      };
      const finish = (err?: Error, n?: number) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (err) return reject(err);
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        resolve(Buffer.from(out));
      };
      const check = () => {
        const n = take();
        if (n !== undefined) {
          finish(undefined, n);
          return true;
        }
        if (this.closed) {
          finish(new TransportClosed(this.address, this.buf));
          return true;
        }
        arm(); // idle timeout restarts whenever bytes arrive
        return false;
      };
      this.waiter = { check, reject: (e) => finish(e) };
      check();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shutdown();
  }
}

import net from 'node:net';
import { abortError, type Clock, type VirtualClock } from './clock.js';

/**
 * Virtual time shared by two processes: the simulated lab keeps the one `VirtualClock` (it jumps
 * to the next timer as soon as everything waits) and serves it on its clock port; a master in
 * another process follows it with a `LabClock`. So the master can be measured, killed and
 * restarted on its own while lab time stays one time, and no wait on either side is a wall wait.
 *
 * The wire: one JSON object per line.
 *   lab -> master: {"t": ms} on connecting and whenever lab time moves; {"wake": id, "t": ms}
 *   master -> lab: {"sleep": id, "at": ms}; {"cancel": id}; {"ack": id}
 * A sleep is a timer on the lab's clock until lab time `at` (the master's now plus its wait, so a
 * wait means the same however long the line took): it wakes in lab-time order with the lab's own. Lab
 * time stays put from a wake until its ack, which the master sends once the woken task has had its
 * turn (sent its next command or started its next wait), as the next timer in one process would
 * wait for a woken task to run.
 */

/** the longest line either side accepts; a real one is under 60 bytes */
const MAX_LINE = 256;

interface ServedClock {
  port: number;
  close(): Promise<void>;
}

/** Serves `clock` to followers on host:port until closed. */
export async function serveClock(clock: VirtualClock, port: number, host = '127.0.0.1'): Promise<ServedClock> {
  const peers = new Set<net.Socket>();
  const send = (s: net.Socket, m: object) => {
    if (!s.destroyed) s.write(JSON.stringify(m) + '\n');
  };
  const unsubscribe = clock.onAdvance((t) => {
    for (const s of peers) send(s, { t });
  });
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    peers.add(socket);
    const sleeps = new Map<number, AbortController>();
    const woken = new Map<number, () => void>();
    socket.on('close', () => {
      peers.delete(socket);
      for (const c of sleeps.values()) c.abort(new Error('follower gone'));
      for (const release of woken.values()) release();
    });
    socket.on('error', () => undefined);
    readLines(socket, (line) => {
      const m = parseMessage(line);
      if (!m) return void socket.destroy();
      if ('cancel' in m) return sleeps.get(m.cancel)?.abort(new Error('cancelled'));
      if ('ack' in m) {
        woken.get(m.ack)?.();
        return void woken.delete(m.ack);
      }
      const ctl = new AbortController();
      sleeps.set(m.sleep, ctl);
      clock.sleep(m.at - clock.now(), ctl.signal).then(
        () => {
          sleeps.delete(m.sleep);
          if (socket.destroyed) return;
          woken.set(m.sleep, clock.hold());
          send(socket, { wake: m.sleep, t: clock.now() });
        },
        () => sleeps.delete(m.sleep),
      );
    });
    send(socket, { t: clock.now() });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const s of peers) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type FollowerMessage = { sleep: number; at: number } | { cancel: number } | { ack: number };

function parseMessage(line: string): FollowerMessage | undefined {
  try {
    const m = JSON.parse(line) as Record<string, unknown>;
    if (Number.isSafeInteger(m.sleep) && typeof m.at === 'number' && Number.isFinite(m.at)) return { sleep: m.sleep as number, at: m.at };
    if (Number.isSafeInteger(m.cancel)) return { cancel: m.cancel as number };
    if (Number.isSafeInteger(m.ack)) return { ack: m.ack as number };
  } catch {
    /* not JSON */
  }
  return undefined;
}

function readLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (buf.length > MAX_LINE) socket.destroy(new Error(`clock link: a line of over ${MAX_LINE} bytes`));
  });
}

interface Sleeper {
  resolve(): void;
  reject(err: Error): void;
}

/** A master's clock when the simulated lab keeps virtual time in another process. */
export class LabClock implements Clock {
  readonly scale = Number.POSITIVE_INFINITY;
  private t = 0;
  private seq = 0;
  private readonly sleepers = new Map<number, Sleeper>();
  private gone: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly where: string,
  ) {}

  /** Connects to the lab's clock port; rejects with a message naming it when nobody answers. */
  static connect(port: number, host = '127.0.0.1', timeoutMs = 3000): Promise<LabClock> {
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const clock = new LabClock(socket, where);
      const fail = (why: string) => {
        socket.destroy();
        reject(
          new Error(
            `the simulated lab's clock at ${where} ${why}: start the lab with virtual time first (\`fat sim start --virtual-time\`)`,
          ),
        );
      };
      let connected = false;
      const timer = setTimeout(() => fail(`did not answer within ${timeoutMs} ms`), timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        fail(`cannot be reached (${e.message})`);
      });
      socket.setNoDelay(true);
      readLines(socket, (line) => {
        if (!clock.receive(line)) return fail(`sent a line that is not the clock's: ${line.slice(0, 80)}`);
        if (!connected) {
          connected = true;
          clearTimeout(timer);
          socket.removeAllListeners('error');
          socket.on('error', (e) => clock.lost(e));
          socket.on('close', () => clock.lost(new Error('connection closed')));
          clock.idle();
          resolve(clock);
        }
      });
    });
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      if (this.gone) return reject(this.gone);
      const id = ++this.seq;
      const onAbort = () => {
        this.sleepers.delete(id);
        this.write({ cancel: id });
        this.idle();
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.set(id, {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      // a pending wait keeps the process alive, as a timer would
      this.socket.ref();
      this.write({ sleep: id, at: this.t + Math.max(0, ms) });
    });
  }

  /** Lets go of the lab's clock; pending waits reject. */
  close(): void {
    this.lost(new Error('closed'));
    this.socket.destroy();
  }

  private write(m: object): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(m) + '\n');
  }

  private receive(line: string): boolean {
    let m: { t?: unknown; wake?: unknown };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return false;
    }
    if (typeof m.t !== 'number' || !Number.isFinite(m.t)) return false;
    this.t = Math.max(this.t, m.t);
    if (typeof m.wake === 'number') {
      const id = m.wake;
      const s = this.sleepers.get(id);
      this.sleepers.delete(id);
      s?.resolve();
      // the woken task runs in the microtasks after this; by the next turn it has acted
      setImmediate(() => {
        this.write({ ack: id });
        this.idle();
      });
    }
    return true;
  }

  /** with no wait pending, the link alone does not keep the process alive */
  private idle(): void {
    if (this.sleepers.size === 0) this.socket.unref();
  }

  private lost(e: Error): void {
    if (this.gone) return;
    this.gone = new Error(`the simulated lab's clock at ${this.where} went away (${e.message}): lab time cannot move`);
    for (const s of this.sleepers.values()) s.reject(this.gone);
    this.sleepers.clear();
  }
}

import net from 'node:net';
import type { Clock } from '../../clock/clock.js';

/**
 * What the simulated peripherals share: a raw TCP listener (a serial-to-Ethernet server in a real
 * lab), a splitter that turns a byte stream into commands, and the conversion of an instrument's
 * physical delays (a wheel turning) from lab time to wall time.
 */
export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for one simulated instrument; close() also drops open connections so the port is free at once. */
export function listen(host: string, port: number, what: string, onConnection: (socket: net.Socket) => void): Promise<RunningServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    // a client that vanishes mid-reply is the client's problem, not the simulator's
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use (is another simulator running? try --base-port)' : e.message;
      reject(new Error(`simulated ${what} cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Longest command any simulated instrument accepts; a peer that never sends a terminator cannot grow memory. */
const MAX_LINE = 4096;

/**
 * Feeds a byte stream in, calls `onLine` for each command ended by one of `terminators`. `ignore`
 * characters are dropped (e.g. LF for a device that ends commands with CR only). Empty commands
 * are dropped.
 */
export function lineSplitter(terminators: string, onLine: (line: string) => void, ignore = ''): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    for (const ch of chunk.toString('latin1')) {
      if (terminators.includes(ch)) {
        const line = pending.trim();
        pending = '';
        if (line) onLine(line);
      } else if (!ignore.includes(ch) && pending.length < MAX_LINE) {
        pending += ch;
      }
    }
  };
}

/** Wall milliseconds for a physical delay of `labMs` lab milliseconds (0 on a virtual clock). */
export function wallMs(clock: Clock, labMs: number): number {
  return Number.isFinite(clock.scale) ? labMs / clock.scale : 0;
}

/** A physical delay in wall time (from `wallMs`: 0 on a virtual clock, so no wait there). */
export function wallSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

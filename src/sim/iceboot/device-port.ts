import net from 'node:net';
import type { SimContext } from '../context.js';
import type { MainboardSim } from './mainboard.js';

export interface DevicePort {
  port: number;
  close(): Promise<void>;
}

/**
 * The TCP listener of one DomNet device port: a transparent pipe to one mainboard console. A new
 * client replaces the previous one (what DomNet does with two clients is not known). The byte-level
 * faults (dead, hang, drop, garbage, slow) are applied by the mainboard's console per line, so they
 * can be switched on and off while a client is connected.
 */
export function startDevicePort(ctx: SimContext, port: number, mb: MainboardSim): Promise<DevicePort> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    for (const old of sockets) old.destroy();
    sockets.clear();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    mb.attach(socket);
  });
  return new Promise((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `simulated ${mb.truth.role === 'tabletop' ? 'tabletop board' : `D-Egg ${mb.truth.deggSerial}`} cannot listen on ${ctx.host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use (is another simulator running? try --base-port)' : e.message}`,
        ),
      );
    server.once('error', failed);
    server.listen(port, ctx.host, () => {
      server.off('error', failed);
      server.on('error', (e) => ctx.log(`device port ${port}: ${String(e)}`));
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            sockets.clear();
            server.close(() => res());
          }),
      });
    });
  });
}

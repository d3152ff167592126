import net from 'node:net';
import { Reply } from 'zeromq';
import type { SimContext } from '../context.js';
import { decodeRequest, type IcmReply, type WirePairIcm } from './icm.js';

export interface IcmServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The ICM command port of one wire pair: a ZeroMQ REP socket, one JSON object per message each way
 * (iceboot-protocol.md §5.2). The ICM state itself lives in `icm` and outlives this socket.
 */
export async function startIcmServer(ctx: SimContext, port: number, icm: WirePairIcm): Promise<IcmServer> {
  const address = `tcp://${ctx.host}:${port}`;
  // linger 0: a closed simulator must never keep the process alive to flush replies nobody reads
  const sock = new Reply({ linger: 0 });
  try {
    await sock.bind(address);
  } catch (err) {
    sock.close();
    throw new Error(
      `simulated ICM command port ${port} could not listen on ${ctx.host}: ${(err as Error).message} (is another simulated lab or domnet using it?)`,
      {
        cause: err,
      },
    );
  }

  const loop = (async () => {
    try {
      for await (const frames of sock) {
        const raw = Buffer.concat(frames.map((f) => Buffer.from(f))).toString('utf8');
        const req = decodeRequest(raw);
        let reply: IcmReply;
        try {
          reply = req ? icm.handle(req) : { status: '?BAD_REQUEST' };
        } catch (err) {
          ctx.log(`ICM ${port}: ${raw}: ${(err as Error).message}`);
          reply = { status: '?INTERNAL_ERROR' };
        }
        await sock.send(JSON.stringify(reply));
      }
    } catch (err) {
      if (!sock.closed) ctx.log(`ICM command port ${port} stopped: ${(err as Error).message}`);
    }
  })();

  return {
    port,
    async close() {
      if (sock.closed) return;
      // No unbind(): unbinding a REP socket with live peers trips a libzmq assertion (pipe.cpp:355)
      // that aborts the process. close() alone frees the port a moment later, in libzmq's own
      // thread; wait for that, so the port is free the moment close() resolves.
      sock.close();
      await loop;
      await waitUntilBindable(ctx.host, port);
    },
  };
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** wall: the simulator's teardown waiting for libzmq's thread to free the port (an OS resource) */
async function waitUntilBindable(host: string, port: number, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await canBind(host, port)) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}

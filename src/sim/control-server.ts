import http from 'node:http';
import { z } from 'zod';
import type { SimContext } from './context.js';
import { moduleRegistry } from './domnet/registry.js';
import type { WirePair } from './domnet/wire-pair.js';
import { FAULT_KINDS, parseFault } from './faults.js';
import { truthJson, type LabTruth } from './physics.js';

/**
 * HTTP control of the simulated lab: its ground truth, the logbook registry of its modules, faults
 * at run time, the state of the room, and the attach stream through which a stand-in `domnet`
 * process holds a wire pair's ports open (they close when that process goes away, as they would
 * with a real domnet).
 */
export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export interface ControlTarget {
  ctx: SimContext;
  truth: LabTruth;
  wirePairs: WirePair[];
}

const faultBody = z.union([z.object({ add: z.string().min(1) }).strict(), z.object({ remove: z.string().min(1) }).strict()]);

const ENDPOINTS = [
  'GET /truth',
  'GET /registry',
  'GET /faults',
  'POST /faults {"add":"kind:target"} | {"remove":"kind:target"}',
  'GET /state',
  'POST /domnet/attach?wp=N[&port=BASE&n=4]',
];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 65536) throw new HttpError(413, 'request body larger than 64 KiB');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** the open attach streams and the number of the next domnet holder */
interface AttachHub {
  streams: Set<http.ServerResponse>;
  nextHolder: number;
}

function labState(target: ControlTarget) {
  const { ctx } = target;
  return {
    labTimeMs: ctx.clock.now(),
    labTime: new Date(ctx.clock.now()).toISOString(),
    timeScale: ctx.clock.scale,
    seed: ctx.seed,
    freezer: { temperatureC: ctx.lab.freezer.temperatureC(), setpointC: ctx.lab.freezer.setpointC },
    roomTemperatureC: ctx.lab.roomTemperatureC,
    laser: { firing: ctx.lab.laserFiring, functionGenerator: { ...ctx.lab.fg } },
    filterWheels: ctx.lab.filterWheels.map((w) => ({ position: w.position, transmission: w.strengths[w.position - 1] ?? 0 })),
    filterTransmission: ctx.lab.filterTransmission(),
    wirePairs: target.wirePairs.map((w) => ({
      wirePair: w.wp,
      basePort: w.basePort,
      icmPort: w.icmPort,
      portsOpen: w.isOpen,
      powered: w.icm.powered,
      devices: w.icm.devlist(),
    })),
    faults: ctx.faults.list(),
  };
}

/** the wire pair an attach asks for, checked against its port and module count */
function attachPair(target: ControlTarget, url: URL): { pair: WirePair; wp: number; base: number } {
  const wpText = url.searchParams.get('wp') ?? '';
  const wp = /^\d+$/.test(wpText) ? Number(wpText) : NaN;
  const pair = target.wirePairs[wp];
  if (!pair)
    throw new HttpError(
      400,
      `domnet: no wire pair "${wpText}" in the simulated lab; wire pairs are 0-${target.wirePairs.length - 1} (tty sim://HOST:PORT/wpN)`,
    );
  const base = pair.basePort;
  const portText = url.searchParams.get('port');
  if (portText !== null && Number(portText) !== base) {
    throw new HttpError(
      400,
      `domnet: -p ${portText} does not match wire pair ${wp} of the simulated lab, whose first device port is ${base} ` +
        `(ICM command port ${pair.icmPort}); run it with -p ${base}, or use the tty of the wire pair that starts at ${portText}`,
    );
  }
  const nText = url.searchParams.get('n');
  if (nText !== null && Number(nText) !== pair.modules.length) {
    throw new HttpError(
      400,
      `domnet: -n ${nText} does not match wire pair ${wp} of the simulated lab, which has ${pair.modules.length} D-Eggs; run it with -n ${pair.modules.length}`,
    );
  }
  return { pair, wp, base };
}

async function attach(target: ControlTarget, hub: AttachHub, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const { ctx } = target;
  const { pair, wp, base } = attachPair(target, url);
  const tty = `/dev/ttyUSB${wp}`;
  if (ctx.faults.has('domnet-fail', wp, base, `wp${wp}`)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `DomNet starting on ${tty} (simulated wire pair ${wp})\nFailed to open ${tty}: ICM not responding\nICMs detected at address: 8 \n`,
    );
    ctx.log(`wire pair ${wp}: domnet refused (fault domnet-fail)`);
    return;
  }
  const others = pair.otherHolders().filter((h) => h.startsWith('domnet'));
  if (others.length) {
    res.writeHead(409, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `DomNet starting on ${tty} (simulated wire pair ${wp})\nFailed to open ${tty}: device or resource busy (another domnet already serves wire pair ${wp})\nICMs detected at address: \n`,
    );
    return;
  }
  const holder = `domnet-${hub.nextHolder++}`;
  let gone = false;
  res.on('close', () => {
    gone = true;
    hub.streams.delete(res);
    void pair.release(holder).catch((err: unknown) => ctx.log(`wire pair ${wp}: closing ports failed: ${(err as Error).message}`));
  });
  await pair.hold(holder);
  if (gone) return; // the client left while the ports were opening; 'close' already released them
  hub.streams.add(res);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  // one write, so the report arrives together and promptly (setup reads the first three lines)
  res.write(
    `DomNet starting on ${tty} (simulated wire pair ${wp})\n` +
      `device ports ${base}-${base + pair.modules.length - 1}, ICM command port ${pair.icmPort}\n` +
      `ICMs detected at address: ${pair.icm
        .devlist()
        .map((d) => `${d} `)
        .join('')}\n`,
  );
  ctx.log(`wire pair ${wp}: held by ${holder} (${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'})`);
}

async function postFaults(ctx: SimContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    throw new HttpError(400, 'POST /faults wants JSON: {"add":"kind:target"} or {"remove":"kind:target"}');
  }
  const parsed = faultBody.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'POST /faults wants {"add":"kind:target"} or {"remove":"kind:target"}');
  try {
    if ('add' in parsed.data) {
      ctx.faults.add(parseFault(parsed.data.add));
    } else {
      const f = parseFault(parsed.data.remove);
      ctx.faults.remove(f.kind, f.target);
    }
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  ctx.log(
    `faults now: ${
      ctx.faults
        .list()
        .map((f) => (f.target ? `${f.kind}:${f.target}` : f.kind))
        .join(', ') || 'none'
    }`,
  );
  return sendJson(res, 200, { faults: ctx.faults.list() });
}

async function route(target: ControlTarget, hub: AttachHub, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { ctx } = target;
  const url = new URL(req.url ?? '/', 'http://sim');
  const key = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '') || '/'}`;
  switch (key) {
    case 'GET /':
      return sendJson(res, 200, { endpoints: ENDPOINTS });
    case 'GET /truth':
      return sendJson(res, 200, truthJson(target.truth));
    case 'GET /registry':
      return sendJson(res, 200, moduleRegistry(target.truth));
    case 'GET /state':
      return sendJson(res, 200, labState(target));
    case 'GET /faults':
      return sendJson(res, 200, { faults: ctx.faults.list(), kinds: FAULT_KINDS });
    case 'POST /faults':
      return postFaults(ctx, req, res);
    case 'POST /domnet/attach':
      return attach(target, hub, req, res, url);
    default:
      throw new HttpError(404, `no endpoint ${key}; the simulated lab's control port offers: ${ENDPOINTS.join('; ')}`);
  }
}

export async function startControlServer(target: ControlTarget): Promise<ControlServer> {
  const { ctx } = target;
  const hub: AttachHub = { streams: new Set<http.ServerResponse>(), nextHolder: 1 };
  const { streams } = hub;

  const server = http.createServer((req, res) => {
    route(target, hub, req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = (err as Error).message;
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.end();
    });
  });
  // the attach stream lives for days; no idle timeout may cut it
  server.requestTimeout = 0;
  server.timeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(
          `simulated lab control port ${ctx.ports.control} could not listen on ${ctx.host}: ${err.message} (is another simulated lab running? use another base port)`,
        ),
      ),
    );
    server.listen(ctx.ports.control, ctx.host, () => resolve());
  });

  return {
    port: ctx.ports.control,
    async close() {
      for (const s of streams) s.end('domnet: the simulated lab is shutting down\n');
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

import net from 'node:net';
import { Request } from 'zeromq';

/** A tiny ZeroMQ REQ client for the ICM command port, as the fh_server scripts use it. */
export class IcmClient {
  private readonly sock = new Request({ linger: 0, receiveTimeout: 3000 });

  constructor(port: number) {
    this.sock.connect(`tcp://127.0.0.1:${port}`);
  }

  async send(req: Record<string, string> | string): Promise<{ status: string; value?: unknown }> {
    await this.sock.send(typeof req === 'string' ? req : JSON.stringify(req));
    const [reply] = await this.sock.receive();
    return JSON.parse(reply.toString()) as { status: string; value?: unknown };
  }

  close(): void {
    this.sock.close();
  }
}

/** A tiny iceboot console client: sends a line, reads until the `\r\n> ` prompt, strips echo and prompt. */
export class IcebootClient {
  private buf = '';
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    sock.on('error', () => undefined);
  }

  static connect(port: number): Promise<IcebootClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new IcebootClient(s)));
      s.once('error', reject);
    });
  }

  /** Resolves with the output, or undefined when nothing complete arrives within `timeoutMs`. */
  async cmd(line: string, timeoutMs = 2000): Promise<string | undefined> {
    this.buf = '';
    this.sock.write(line + '\r\n');
    const deadline = Date.now() + timeoutMs;
    while (!this.buf.endsWith('\r\n> ')) {
      if (this.closed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = undefined;
    }
    let out = this.buf.slice(0, -4);
    if (out.startsWith(line + '\r\n')) out = out.slice(line.length + 2);
    return out;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Opens a session as startIcebootSession does, far enough to ask questions. */
export async function icebootSession(port: number): Promise<IcebootClient> {
  const c = await IcebootClient.connect(port);
  if ((await c.cmd('boot', 3000)) === undefined) await c.cmd('boot', 3000);
  await c.cmd('true setecho');
  await c.cmd('sdrop');
  return c;
}

/** Whether something listens on a TCP port of 127.0.0.1. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

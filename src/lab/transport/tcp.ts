import net from 'node:net';
import { StreamTransport } from './stream-transport.js';

export class TcpTransport extends StreamTransport {
  private constructor(
    private readonly socket: net.Socket,
    address: string,
  ) {
    super(address);
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('close', () => this.onClose());
    socket.on('error', (e) => this.onError(e));
  }

  static connect(host: string, port: number, timeoutMs = 3000): Promise<TcpTransport> {
    const address = `tcp://${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      // wall: a watchdog against a peer that never accepts, cleared on connect
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${address}: connection not accepted within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpTransport(socket, address));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = e.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : e.message;
        reject(new Error(`${address}: ${why}`));
      });
    });
  }

  protected send(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  protected async shutdown(): Promise<void> {
    this.socket.destroy();
  }
}

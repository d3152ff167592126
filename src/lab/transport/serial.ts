import { SerialPort } from 'serialport';
import { StreamTransport } from './stream-transport.js';

export class SerialTransport extends StreamTransport {
  private constructor(
    private readonly port: SerialPort,
    address: string,
  ) {
    super(address);
    port.on('data', (c: Buffer) => this.onData(c));
    port.on('close', () => this.onClose());
    port.on('error', (e: Error) => this.onError(e));
  }

  static open(path: string, baudRate: number): Promise<SerialTransport> {
    const address = `serial://${path}?baud=${baudRate}`;
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((err) => {
        if (err) return reject(new Error(`${address}: cannot open the serial port: ${err.message}`));
        resolve(new SerialTransport(port, address));
      });
    });
  }

  protected send(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.port.write(data, (e) => (e ? reject(e) : this.port.drain((e2) => (e2 ? reject(e2) : resolve())))),
    );
  }

  protected shutdown(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

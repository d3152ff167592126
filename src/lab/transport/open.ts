import { SerialTransport } from './serial.js';
import { TcpTransport } from './tcp.js';
import type { Transport } from './transport.js';

/**
 * Opens an instrument address from the station file:
 *   tcp://host:port                      a socket (serial-to-Ethernet server, SCPI socket, simulator)
 *   serial:///dev/ttyUSB0?baud=115200     a serial port
 */
export async function openTransport(address: string, defaults: { baud?: number } = {}): Promise<Transport> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`"${address}" is not an instrument address (expected tcp://host:port or serial:///dev/ttyX?baud=N)`);
  }
  if (url.protocol === 'tcp:') {
    const port = Number(url.port);
    if (!url.hostname || !port) throw new Error(`"${address}": a tcp:// address needs a host and a port`);
    return TcpTransport.connect(url.hostname, port);
  }
  if (url.protocol === 'serial:') {
    const baud = Number(url.searchParams.get('baud') ?? defaults.baud ?? 9600);
    if (!url.pathname) throw new Error(`"${address}": a serial:// address needs a device path`);
    return SerialTransport.open(decodeURIComponent(url.pathname), baud);
  }
  throw new Error(`"${address}": unsupported scheme ${url.protocol} (use tcp:// or serial://)`);
}

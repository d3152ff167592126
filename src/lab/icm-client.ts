import { Request } from 'zeromq';
import { z } from 'zod';

/**
 * Client of a DomNet instance's ICM command port (iceboot-protocol.md §5.2): ZeroMQ REQ, one JSON
 * object each way. Like the original, a reply that does not come within the timeout gives the
 * status `?NOREPLY` and a fresh socket (a REQ socket that missed its reply cannot send again).
 */

export const ICM_FIELD_HUB_DEVICE = 8;

export interface IcmReply {
  /** "OK", or an error status starting with "?" (?TIMEOUT, ?NOCONN, ?NOTREADY, ?NOREPLY, …) */
  status: string;
  value?: unknown;
}

const replySchema = z.object({ status: z.string(), value: z.unknown().optional() }).passthrough();

export interface IcmClientOptions {
  /** receive (and send) timeout in wall ms; default 11000 as in the original */
  timeoutMs?: number;
}

export class IcmError extends Error {
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'IcmError';
  }
}

const STATUS_HINTS: Record<string, string> = {
  '?TIMEOUT': 'the device does not answer on the wire pair (is the mainboard powered? try mb_on)',
  '?NOCONN': 'there is no such device on this wire pair (check devlist and the station file)',
  '?NOTREADY': 'a probe of the wire pair is in progress; try again in a few seconds',
  '?NOREPLY': 'the command port did not answer: check that the DomNet instance runs (fat setup)',
};

export class IcmClient {
  readonly address: string;
  private socket: Request;
  private readonly timeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(host: string, port: number, opts: IcmClientOptions = {}) {
    this.address = `tcp://${host}:${port}`;
    this.timeoutMs = opts.timeoutMs ?? 11000;
    this.socket = this.newSocket();
  }

  /** `tcp://host:port` of the command port. */
  static fromAddress(address: string, opts: IcmClientOptions = {}): IcmClient {
    const m = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(address);
    if (!m) throw new Error(`"${address}" is not an ICM command port address (expected tcp://host:port)`);
    return new IcmClient(m[1], Number(m[2]), opts);
  }

  private newSocket(): Request {
    const s = new Request({ receiveTimeout: this.timeoutMs, sendTimeout: this.timeoutMs, linger: 0 });
    s.connect(this.address);
    return s;
  }

  /**
   * Sends one request; never throws for a device-side error (see `status`). `extra` carries
   * `register` and `value`. Every value goes on the wire as a string, as the original sends it.
   */
  command(
    command: string,
    device?: number | string,
    extra: { register?: string | number; value?: string | number } = {},
  ): Promise<IcmReply> {
    const msg: Record<string, string> = { command: command.toLowerCase() };
    if (device !== undefined) msg.device = String(device);
    if (extra.register !== undefined) msg.register = String(extra.register);
    if (extra.value !== undefined) msg.value = String(extra.value);
    return this.exclusive(() => this.roundTrip(msg));
  }

  private async roundTrip(msg: Record<string, string>): Promise<IcmReply> {
    if (this.closed) throw new Error(`ICM client for ${this.address} is closed`);
    let frame: Buffer;
    try {
      await this.socket.send(JSON.stringify(msg));
      [frame] = await this.socket.receive();
    } catch {
      // a REQ socket that missed its reply is stuck in the wrong state: start over
      this.socket.close();
      this.socket = this.newSocket();
      return { status: '?NOREPLY' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame.toString('utf8'));
    } catch {
      return { status: '?BADREPLY', value: frame.toString('utf8').slice(0, 200) };
    }
    const r = replySchema.safeParse(parsed);
    return r.success ? { status: r.data.status, value: r.data.value } : { status: '?BADREPLY', value: parsed };
  }

  /** Like `command`, but an error status throws an error naming the port, command and device. */
  async ok(command: string, device?: number, extra: { register?: string | number; value?: string | number } = {}): Promise<unknown> {
    const r = await this.command(command, device, extra);
    if (r.status !== 'OK') {
      const target = device === undefined ? '' : ` for device ${device}`;
      const hint = STATUS_HINTS[r.status] ?? 'see the DomNet log';
      throw new IcmError(r.status, `ICM command port ${this.address} answered ${r.status} to ${command}${target}: ${hint}`);
    }
    return r.value;
  }

  /** Devices present on the wire pair, e.g. [0, 1, 2, 3, 8]. */
  async devlist(): Promise<number[]> {
    const v = await this.ok('devlist');
    const r = z.array(z.coerce.number().int()).safeParse(v);
    if (!r.success)
      throw new IcmError(
        '?BADREPLY',
        `ICM command port ${this.address} answered devlist with ${JSON.stringify(v)}, expected a list of device numbers`,
      );
    return r.data;
  }

  async pmtHvEnable(device: number): Promise<void> {
    await this.ok('pmt_hv_enable', device);
  }
  async pmtHvDisable(device: number): Promise<void> {
    await this.ok('pmt_hv_disable', device);
  }
  async lidEnable(device: number): Promise<void> {
    await this.ok('lid_enable', device);
  }
  async lidDisable(device: number): Promise<void> {
    await this.ok('lid_disable', device);
  }
  async mcuFlashEnable(device: number): Promise<void> {
    await this.ok('mcu_flash_enable', device);
  }
  async mcuFlashDisable(device: number): Promise<void> {
    await this.ok('mcu_flash_disable', device);
  }
  /** Mainboard power on: the MCU then waits in its bootloader (send `boot`). */
  async mbOn(device: number): Promise<void> {
    await this.ok('mb_on', device);
  }
  async mbOff(device: number): Promise<void> {
    await this.ok('mb_off', device);
  }
  /** Wire-pair power, sent to the field hub's own ICM (device 8). */
  async wpOn(): Promise<void> {
    await this.ok('wp_on', ICM_FIELD_HUB_DEVICE);
  }
  async wpOff(): Promise<void> {
    await this.ok('wp_off', ICM_FIELD_HUB_DEVICE);
  }
  async probe(): Promise<void> {
    await this.ok('probe');
  }
  /** A register as the hex string the ICM prints (e.g. "0x454e"; the ICM ID has 16 digits). */
  async readRegister(device: number, register: string | number): Promise<string> {
    const v = await this.ok('read', device, { register });
    if (typeof v !== 'string')
      throw new IcmError(
        '?BADREPLY',
        `ICM command port ${this.address} answered read ${register} for device ${device} with ${JSON.stringify(v)}, expected a string`,
      );
    return v;
  }
  async writeRegister(device: number, register: string | number, value: string | number): Promise<void> {
    await this.ok('write', device, { register, value });
  }
  /** One RapCal exchange with `device`: its packet then comes out of the device's port (rapcal-packet.ts). */
  async rapcal(device: number): Promise<void> {
    await this.ok('rapcal', device);
  }
  /** The field hub's PSTAT register (power status and fuse control), as fh_status.py reads it. */
  async pstat(): Promise<number> {
    const v = await this.readRegister(ICM_FIELD_HUB_DEVICE, 'pstat');
    if (!/^0x[0-9a-f]{1,4}$/i.test(v))
      throw new IcmError('?BADREPLY', `ICM command port ${this.address} answered read pstat with "${v}", expected a hex value like 0x0001`);
    return parseInt(v, 16);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

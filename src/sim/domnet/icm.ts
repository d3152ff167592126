import type { SimContext } from '../context.js';
import type { MainboardSim } from '../iceboot/mainboard.js';
import { Rng } from '../rng.js';
import { rapcalPacket } from './rapcal.js';

/**
 * The ICMs of one wire pair as the command port sees them: the field hub's own ICM (device 8) and
 * one in-ice ICM per D-Egg (0..3). The state lives as long as the simulated lab, not as long as a
 * DomNet process: restarting domnet does not power-cycle anything, just as on the real hub.
 */

export const FH_DEVICE = 8;
export const ON = 0x454e; // "EN"
export const OFF = 0x6469; // "di"
/** CTRL2 after an in-ice ICM powers up or reconfigures: INTLK_ENA | FPGA_CONFIG, interlocks all off */
export const CTRL2_RESET = 0x0012;
export const CTRL2_HV = 0x0008;
export const CTRL2_LID = 0x0004;
export const CTRL2_FLASH = 0x0001;
export const CTRL1_MCU_RESET = 0x0004;
export const CTRL1_TERM = 0x0010;
/** ICM firmware of the image FAT runs (icm_fpga_reboot.py polls for fw_vers >= 0x1549) */
const FW_BY_IMAGE: Record<number, number> = { 0: 0x1210, 1: 0x1420, 2: 0x154b, 3: 0x154b };
const DOMNET_VERSION = 'domnet 1.4.2 (icefat simulated mini-fieldhub)';

const REGISTER_NUMBERS: Record<string, number> = {
  ctrl1: 0x00,
  ctrl2: 0x01,
  cstat: 0x02,
  conn_icms: 0x03,
  cerr: 0x04,
  mb_pwr: 0x06,
  pkt_cnt: 0x0e,
  wp_cur: 0x22,
  wp_volt: 0x23,
  pstat: 0x21,
  gps_time: 0x2b,
  wp_pwr: 0x33,
  token_ctrl: 0x3c,
  fpga_temp: 0xe2,
  adc_thresh: 0xee,
  icm_id: 0xf0,
  mb_id: 0xf4,
  wp_addr: 0xfc,
  fw_vers: 0xff,
};
const REGISTER_NAMES = new Map(Object.entries(REGISTER_NUMBERS).map(([k, v]) => [v, k]));

export interface IcmRequest {
  command: string;
  device?: string;
  register?: string;
  value?: string;
}

export interface IcmReply {
  status: string;
  value?: unknown;
}

/** One in-ice D-Egg as the ICM layer needs it. */
export interface IcmRemote {
  address: number;
  port: number;
  icmId: string;
  mb: MainboardSim;
}

interface DeviceRegs {
  mbPowered: boolean;
  ctrl1: number;
  imageId: number;
  pendingImageId: number;
  adcThresh: number;
  tokenCtrl: number;
  cerr: number;
  /** whether the MainboardSim is currently powered and out of reset (to act on transitions only) */
  running: boolean;
}

const hex16 = (v: number) => '0x' + (v & 0xffff).toString(16).padStart(4, '0');

function icmIdHex(id: string): string {
  const digits = id.replace(/^0x/i, '').toLowerCase();
  return '0x' + digits.padStart(16, '0').slice(-16);
}

function parseNumber(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const t = s.trim().toLowerCase();
  const n = t.startsWith('0x') ? Number.parseInt(t.slice(2), 16) : Number(t);
  return Number.isInteger(n) ? n : undefined;
}

/** GPS time register format: YYYY-DDDTHH:MM:SS (day of year) */
function gpsTime(ms: number): string {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const doy = Math.floor((ms - start) / 86_400_000) + 1;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(doy, 3)}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Turns a text request `<command> <device> [<value>]` (read/write: `<command> <device> <register> [<value>]`) into keys. */
export function parseTextRequest(text: string): IcmRequest {
  const tok = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const req: IcmRequest = { command: tok[0] ?? '' };
  if (tok[1] !== undefined) req.device = tok[1];
  if (req.command === 'read' || req.command === 'write') {
    if (tok[2] !== undefined) req.register = tok[2];
    if (tok[3] !== undefined) req.value = tok[3];
  } else if (tok[2] !== undefined) req.value = tok[2];
  return req;
}

/** Decodes one command-port message: a JSON object, or (as the helper script allows) the text form. */
export function decodeRequest(raw: string): IcmRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw.trim() ? parseTextRequest(raw) : undefined;
  }
  if (typeof parsed === 'string') return parseTextRequest(parsed);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  const command = str(o.command);
  if (!command) return undefined;
  return { command: command.toLowerCase(), device: str(o.device), register: str(o.register)?.toLowerCase(), value: str(o.value) };
}

export class WirePairIcm {
  private wpPowered = true;
  private pktCount = 0;
  private readonly regs = new Map<number, DeviceRegs>();
  private readonly remotes = new Map<number, IcmRemote>();
  private readonly fhIcmId: string;
  private readonly rapcalRng: Rng;

  constructor(
    private readonly ctx: SimContext,
    readonly wirePair: number,
    remotes: IcmRemote[],
    /** closes the TCP connections of device `address` (domnet's `disconnect`) */
    private readonly disconnect: (address: number) => void,
  ) {
    for (const r of remotes) this.remotes.set(r.address, r);
    for (const a of [...this.remotes.keys(), FH_DEVICE]) {
      this.regs.set(a, {
        mbPowered: true,
        ctrl1: 0,
        imageId: 2,
        pendingImageId: 2,
        adcThresh: 0x0100,
        tokenCtrl: 0,
        cerr: 0,
        running: true,
      });
    }
    const rng = Rng.derive(ctx.seed, `fh-icm-${wirePair}`);
    this.fhIcmId = Array.from({ length: 8 }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('');
    this.rapcalRng = Rng.derive(ctx.seed, `rapcal-${wirePair}`);
  }

  get powered(): boolean {
    return this.wpPowered;
  }

  /** Devices present on the wire pair, as `devlist` reports them. */
  devlist(): number[] {
    return this.wpPowered ? [...[...this.remotes.keys()].sort((a, b) => a - b), FH_DEVICE] : [FH_DEVICE];
  }

  handle(req: IcmRequest): IcmReply {
    this.pktCount++;
    const cmd = req.command;
    switch (cmd) {
      case 'devlist':
        return ok(this.devlist());
      case 'version':
        return ok(DOMNET_VERSION);
      case 'probe':
      case 'comm_reset':
      case 'fuse_reset':
      case 'gps_enable':
      case 'ext_osc_enable':
      case 'ext_osc_disable':
        return ok();
      case 'err_reset':
        for (const r of this.regs.values()) r.cerr = 0;
        return ok();
      case 'get_gps_ctrl':
        return ok('0x0002');
      case 'get_gps_status':
        return ok('0x000e');
      case 'wp_on':
      case 'wp_off':
        this.setWirePairPower(cmd === 'wp_on');
        return ok();
      case 'wp_voltage':
        return ok(this.wpVolts().toFixed(1));
      case 'wp_current':
        return ok(this.wpAmps().toFixed(3));
      case 'disconnect_all':
        for (const a of this.remotes.keys()) this.disconnect(a);
        return ok();
      case 'disconnect': {
        const a = parseNumber(req.device);
        if (a !== undefined && this.remotes.has(a)) this.disconnect(a);
        return ok();
      }
      case 'rapcal_all':
        if (!this.wpPowered) return fail('?NOCONN');
        for (const a of this.remotes.keys()) this.rapcal(a);
        return ok();
      case 'read':
      case 'write':
      case 'get_icm_time':
      case 'set_fpga_image_id':
      case 'fpga_reconfig':
      case 'rapcal':
        return this.withDevice(req, true, (a, regs) => this.deviceCommand(cmd, a, regs, req));
      case 'mb_on':
      case 'mb_off':
      case 'pmt_hv_enable':
      case 'pmt_hv_disable':
      case 'lid_enable':
      case 'lid_disable':
      case 'mcu_flash_enable':
      case 'mcu_flash_disable':
      case 'mcu_reset':
      case 'mcu_reset_n':
      case 'term_enable':
      case 'term_disable':
        return this.withDevice(req, false, (a, regs) => this.remoteCommand(cmd, a, regs));
      default:
        return fail('?UNKNOWN_COMMAND');
    }
  }

  private withDevice(req: IcmRequest, localAllowed: boolean, f: (address: number, regs: DeviceRegs) => IcmReply): IcmReply {
    const a = parseNumber(req.device);
    if (a === undefined) return fail('?BAD_DEVICE');
    if (!this.devlist().includes(a)) return fail('?NOCONN');
    if (a === FH_DEVICE && !localAllowed) return fail('?BAD_DEVICE');
    const remote = this.remotes.get(a);
    if (remote && this.ctx.faults.has('dead-module', remote.port, `wp${this.wirePair}`)) return fail('?TIMEOUT');
    return f(a, this.regs.get(a)!);
  }

  private remoteCommand(cmd: string, a: number, regs: DeviceRegs): IcmReply {
    const mb = this.remotes.get(a)!.mb;
    switch (cmd) {
      case 'mb_on':
      case 'mb_off':
        regs.mbPowered = cmd === 'mb_on';
        break;
      case 'pmt_hv_enable':
        mb.ctrl2 |= CTRL2_HV;
        break;
      case 'pmt_hv_disable':
        mb.ctrl2 &= ~CTRL2_HV;
        break;
      case 'lid_enable':
        mb.ctrl2 |= CTRL2_LID;
        break;
      case 'lid_disable':
        mb.ctrl2 &= ~CTRL2_LID;
        break;
      case 'mcu_flash_enable':
        mb.ctrl2 |= CTRL2_FLASH;
        break;
      case 'mcu_flash_disable':
        mb.ctrl2 &= ~CTRL2_FLASH;
        break;
      case 'mcu_reset':
        regs.ctrl1 |= CTRL1_MCU_RESET;
        break;
      case 'mcu_reset_n':
        regs.ctrl1 &= ~CTRL1_MCU_RESET;
        break;
      case 'term_enable':
        regs.ctrl1 |= CTRL1_TERM;
        break;
      case 'term_disable':
        regs.ctrl1 &= ~CTRL1_TERM;
        break;
    }
    this.apply(a);
    return ok();
  }

  private deviceCommand(cmd: string, a: number, regs: DeviceRegs, req: IcmRequest): IcmReply {
    switch (cmd) {
      case 'read':
        return this.readRegister(a, regs, req.register);
      case 'write':
        return this.writeRegister(a, regs, req.register, req.value);
      case 'get_icm_time': {
        // 60 MHz counts: the hub's GPS-disciplined time, or the in-ice ICM's own oscillator
        const hub = this.ctx.lab.hubTicksAt();
        const remote = this.remotes.get(a);
        return ok(
          '0x' +
            Math.floor(remote ? remote.mb.icmClock.at(hub) : hub)
              .toString(16)
              .padStart(12, '0'),
        );
      }
      case 'set_fpga_image_id': {
        const id = parseNumber(req.value);
        if (id === undefined || !(id in FW_BY_IMAGE)) return fail('?BAD_VALUE');
        regs.pendingImageId = id;
        return ok();
      }
      case 'fpga_reconfig':
        regs.imageId = regs.pendingImageId;
        if (a !== FH_DEVICE) {
          // the in-ice ICM's FPGA also drives mainboard power and the interlocks: both come back reset
          regs.mbPowered = false;
          regs.ctrl1 = 0;
          this.remotes.get(a)!.mb.ctrl2 = CTRL2_RESET;
          this.apply(a);
        }
        return ok();
      default: // rapcal: the hub's own ICM (8) has no device port to send a packet to
        if (this.remotes.has(a)) this.rapcal(a);
        return ok();
    }
  }

  /** One RapCal exchange with device `a`: its packet comes out of the device port unasked. */
  private rapcal(a: number): void {
    const mb = this.remotes.get(a)!.mb;
    const hubNow = this.ctx.lab.hubTicksAt();
    mb.sendUnsolicited(rapcalPacket(this.rapcalRng, { hubNow, icm: mb.icmClock, cableDelayNs: mb.truth.icmClock.cableDelayNs, device: a }));
  }

  private registerName(reg: string | undefined): string | undefined {
    if (reg === undefined) return undefined;
    if (reg in REGISTER_NUMBERS) return reg;
    const n = parseNumber(reg);
    return n === undefined ? undefined : REGISTER_NAMES.get(n);
  }

  private readRegister(a: number, regs: DeviceRegs, reg: string | undefined): IcmReply {
    const name = this.registerName(reg);
    if (!name) return fail('?BAD_REGISTER');
    const remote = this.remotes.get(a);
    switch (name) {
      case 'ctrl1':
        return ok(hex16(regs.ctrl1));
      case 'ctrl2':
        return ok(hex16(remote ? remote.mb.ctrl2 : CTRL2_RESET));
      case 'cstat':
        return ok(hex16(this.wpPowered ? 0x0003 : 0x0000));
      case 'conn_icms':
        return ok(hex16(this.devlist().reduce((m, d) => m | (1 << d), 0)));
      case 'cerr':
        return ok(hex16(regs.cerr));
      case 'mb_pwr':
        return ok(hex16(remote ? (regs.mbPowered ? ON : OFF) : OFF));
      case 'pkt_cnt':
        return ok(hex16(this.pktCount));
      case 'wp_cur':
        return ok(hex16(Math.round(this.wpAmps() * 1000)));
      case 'wp_volt':
        return ok(hex16(Math.round(this.wpVolts() * 100)));
      case 'pstat':
        // the field hub's power status (bit 0: wire-pair power on); the simulated fuse never trips
        return remote ? fail('?BAD_REGISTER') : ok(hex16(this.wpPowered ? 0x0001 : 0x0000));
      case 'gps_time':
        return ok(gpsTime(this.ctx.clock.now()));
      case 'wp_pwr':
        return ok(hex16(this.wpPowered ? ON : OFF));
      case 'token_ctrl':
        return ok(hex16(regs.tokenCtrl));
      case 'fpga_temp':
        // 1/16 °C, the ICM runs about 10 °C above the air around it
        return ok(hex16(Math.round((this.ctx.lab.freezer.temperatureC() + 10) * 16)));
      case 'adc_thresh':
        return ok(hex16(regs.adcThresh));
      case 'icm_id':
        return ok(icmIdHex(remote ? remote.icmId : this.fhIcmId));
      case 'mb_id':
        return ok(hex16(remote ? Number.parseInt(icmIdHex(remote.icmId).slice(-4), 16) ^ 0x5a5a : 0));
      case 'wp_addr':
        return ok(hex16(a));
      case 'fw_vers':
        return ok(hex16(FW_BY_IMAGE[regs.imageId] ?? 0));
      default:
        return fail('?BAD_REGISTER');
    }
  }

  private writeRegister(a: number, regs: DeviceRegs, reg: string | undefined, value: string | undefined): IcmReply {
    const name = this.registerName(reg);
    if (!name) return fail('?BAD_REGISTER');
    const v = parseNumber(value);
    if (v === undefined || v < 0 || v > 0xffff) return fail('?BAD_VALUE');
    const remote = this.remotes.get(a);
    switch (name) {
      case 'ctrl1':
        regs.ctrl1 = v;
        break;
      case 'ctrl2':
        if (!remote) return fail('?READ_ONLY');
        remote.mb.ctrl2 = v;
        break;
      case 'cerr':
        regs.cerr = 0;
        break;
      case 'mb_pwr':
        if (!remote || (v !== ON && v !== OFF)) return fail('?BAD_VALUE');
        regs.mbPowered = v === ON;
        break;
      case 'wp_pwr':
        if (v !== ON && v !== OFF) return fail('?BAD_VALUE');
        this.setWirePairPower(v === ON);
        return ok();
      case 'adc_thresh':
        regs.adcThresh = v;
        break;
      case 'token_ctrl':
        regs.tokenCtrl = v;
        break;
      default:
        return fail('?READ_ONLY');
    }
    if (remote) this.apply(a);
    return ok();
  }

  private setWirePairPower(on: boolean): void {
    if (on && !this.wpPowered) {
      // the in-ice ICMs power up fresh: interlocks reset, mainboards on into their bootloader
      for (const [a, r] of this.remotes) {
        const regs = this.regs.get(a)!;
        regs.mbPowered = true;
        regs.ctrl1 = 0;
        regs.imageId = regs.pendingImageId = 2;
        r.mb.ctrl2 = CTRL2_RESET;
      }
    }
    this.wpPowered = on;
    for (const a of this.remotes.keys()) this.apply(a);
  }

  /** Powers the mainboard off or on when its supply or reset line changed. */
  private apply(a: number): void {
    const regs = this.regs.get(a)!;
    const mb = this.remotes.get(a)!.mb;
    const shouldRun = this.wpPowered && regs.mbPowered && (regs.ctrl1 & CTRL1_MCU_RESET) === 0;
    if (shouldRun === regs.running) return;
    regs.running = shouldRun;
    if (shouldRun) mb.powerOn();
    else mb.powerOff();
  }

  private poweredBoards(): number {
    let n = 0;
    for (const a of this.remotes.keys()) if (this.regs.get(a)!.running) n++;
    return n;
  }

  private wpVolts(): number {
    return this.wpPowered ? 48.1 : 0;
  }

  private wpAmps(): number {
    return this.wpPowered ? 0.012 + 0.085 * this.poweredBoards() : 0;
  }
}

function ok(value?: unknown): IcmReply {
  return value === undefined ? { status: 'OK' } : { status: 'OK', value };
}

function fail(status: string): IcmReply {
  return { status };
}

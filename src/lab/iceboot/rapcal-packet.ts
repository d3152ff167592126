import type { IcebootConsole } from './console.js';
import { IcebootError } from './errors.js';

/**
 * The RapCal packet that a device port sends unasked after `rapcal <device>` (or `rapcal_all`) on
 * its ICM command port (iceboot-protocol.md §5.3), decoded as the public RapCal client does
 * (degg_scan fh_server tools, rapcal.py: RapCalEvent.parse_rapcal_header and the version 0
 * constructor): a 4-byte big-endian header, the magic 0x5243 ("RC") and a status word (bit 4: the
 * DOM's answer was missed, bit 5: the hub's pulse was missed, bits 9-15: version); then, version
 * 0, 280 bytes: T_tx_dor, T_rx_dom, T_tx_dom and T_rx_dor (48-bit big-endian, 60 MHz counts of the
 * hub and of the in-ice ICM), and 64 samples of each received pulse. Sample i is 15 bits in bytes
 * 126-2i (high, low 7 bits) and 127-2i; its trigger flag is the top bit of byte 128-2i, which is
 * the high byte of sample i-1 (sample 63's for i = 0), exactly as the client reads it.
 */
const RAPCAL_MAGIC = 0x5243;
const BODY_BYTES: Record<number, number> = { 0: 280 };
const SAMPLES = 64;

export interface RapcalPacket {
  version: number;
  status: number;
  /** hub count when the hub sent its pulse, and when the ICM's answer arrived (latched) */
  txDor: number;
  rxDor: number;
  /** in-ice ICM count when the hub's pulse arrived (latched), and when it answered */
  rxDom: number;
  txDom: number;
  domWaveform: Float64Array;
  domTrigger: Uint8Array;
  dorWaveform: Float64Array;
  dorTrigger: Uint8Array;
}

function waveform(body: Buffer, at: number): { wave: Float64Array; trigger: Uint8Array } {
  const d = body.subarray(at, at + 2 * SAMPLES);
  const wave = new Float64Array(SAMPLES);
  const trigger = new Uint8Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    wave[i] = (d[126 - 2 * i] & 0x7f) * 256 + d[127 - 2 * i];
    trigger[i] = d[(2 * SAMPLES - 2 * i) % (2 * SAMPLES)] & 0x80 ? 1 : 0;
  }
  return { wave, trigger };
}

/** Decodes a whole packet (header and body). */
function decodeRapcalPacket(buf: Buffer): RapcalPacket {
  const magic = buf.readUInt16BE(0);
  const status = buf.readUInt16BE(2);
  if (magic !== RAPCAL_MAGIC) throw new Error(`not a RapCal packet (magic 0x${magic.toString(16)})`);
  const body = buf.subarray(4);
  const dom = waveform(body, 24);
  const dor = waveform(body, 24 + 2 * SAMPLES);
  const count = (i: number) => body.readUIntBE(6 * i, 6);
  return {
    version: status >> 9,
    status,
    txDor: count(0),
    rxDom: count(1),
    txDom: count(2),
    rxDor: count(3),
    domWaveform: dom.wave,
    domTrigger: dom.trigger,
    dorWaveform: dor.wave,
    dorTrigger: dor.trigger,
  };
}

/** Reads the packet a `rapcal` sent to this module's device port (the header first, then its body). */
export async function readRapcalPacket(s: IcebootConsole, timeoutMs = 3000): Promise<RapcalPacket> {
  const head = await s.readUnsolicited(4, timeoutMs, 'rapcal');
  const bad = (why: string) =>
    new IcebootError('unexpected', s.module, 'rapcal', `${s.module}: the RapCal packet after rapcal ${why}: repeat the RapCal`);
  const magic = head.readUInt16BE(0);
  const status = head.readUInt16BE(2);
  if (magic !== RAPCAL_MAGIC)
    throw bad(`starts with 0x${head.toString('hex')}, not the RapCal magic 0x5243 (another program may be talking to the module)`);
  if (status & 0x10) throw bad('reports that the ICM did not answer the hub (status bit 0x10)');
  if (status & 0x20) throw bad("reports that the ICM did not see the hub's pulse (status bit 0x20)");
  const size = BODY_BYTES[status >> 9];
  if (size === undefined) throw bad(`has version ${status >> 9}, which this client cannot read (it reads version 0)`);
  const body = await s.readUnsolicited(size, timeoutMs, 'rapcal');
  return decodeRapcalPacket(Buffer.concat([head, body]));
}

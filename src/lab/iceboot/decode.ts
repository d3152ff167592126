import { doubled } from '../../util/grow.js';

/**
 * Decoders for the D-Egg binary payloads (iceboot-protocol.md §3.7-3.9): waveform blocks from
 * `readDEggWfmBlock` and 14-byte charge stamps from `readDEggChargeBlock`.
 *
 * Results are columnar (one typed array per field, one entry per record) so that decoding a
 * gain scan of millions of samples allocates a handful of arrays, never one object per sample or
 * per record. The field formulas follow the original client (shared/reference/bench/
 * decode_reference.py) exactly, so checksums of both agree on the same bytes.
 */

const TWO16 = 2 ** 16;
const TWO32 = 2 ** 32;
const TWO48 = 2 ** 48;

export class WaveformFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaveformFormatError';
  }
}

export interface WaveformBlock {
  /** number of records decoded */
  count: number;
  channel: Uint8Array;
  /** record format, 0x80-0x82 (D-Egg) or 0x90-0x92 (12-bit mDOM format) */
  version: Uint8Array;
  /** 240 MHz sample ticks; at most 50 bits, exact in a double */
  timestamp: Float64Array;
  /** 0x82 charge stamp (w6 high, w7 low); 0 for other versions */
  chargeStamp: Uint32Array;
  /** samples in each record */
  sampleCount: Uint32Array;
  /** record i's samples are adc[adcOffset[i] .. adcOffset[i+1]); length count + 1 */
  adcOffset: Uint32Array;
  /** the common number of samples per record, or -1 when records differ (0 when there are none) */
  samplesPerRecord: number;
  /** every sample of every record, record-major */
  adc: Uint16Array;
  /** per sample, the discriminator flag (bit 1 of the sample word) for 0x80/0x82; 0 otherwise */
  thresholdFlags: Uint8Array;
  /** true when the data ended inside a record (a short read or a corrupt length word) */
  truncated: boolean;
}

interface Layout {
  /** first sample word */
  first: number;
  /** distance between sample words */
  step: number;
}

const LAYOUT_OF_VERSION: Array<[number, Layout]> = [
  [0x80, { first: 7, step: 2 }],
  [0x81, { first: 13, step: 1 }],
  [0x82, { first: 17, step: 1 }],
  [0x90, { first: 6, step: 2 }],
  [0x91, { first: 8, step: 2 }],
  [0x92, { first: 8, step: 2 }],
];

/** indexed by the version byte (a dense array: an object keyed 0x80.. is a slow dictionary lookup per record) */
const LAYOUTS: Array<Layout | undefined> = Array.from({ length: 256 }, (_, v) => LAYOUT_OF_VERSION.find(([k]) => k === v)?.[1]);

function layoutOf(version: number): Layout | undefined {
  return LAYOUTS[version];
}

/** Samples of a record of `nWords` words: the words from `first` (stepping) up to the two footer words. */
function samplesIn(l: Layout, nWords: number): number {
  const span = nWords - 2 - l.first;
  return span > 0 ? Math.ceil(span / l.step) : 0;
}

/**
 * What one decode fills in. The per-record columns grow by doubling; the sample columns are sized
 * once for the most samples the bytes can hold (fewer than one per 16-bit word), so that records
 * are decoded in a single pass over the buffer, straight from a DataView (no copy, any alignment).
 * The result holds views of the filled part (measured: a pass to count first, or zeroed
 * allocations, cost 10-15% more).
 */
class Columns {
  channel: Uint8Array;
  version: Uint8Array;
  timestamp: Float64Array;
  chargeStamp: Uint32Array;
  sampleCount: Uint32Array;
  /** adcOffset[i] for the records so far, and the end of the last one at [count] */
  adcOffset: Uint32Array;
  readonly adc: Uint16Array;
  readonly thresholdFlags: Uint8Array;
  /** adc two samples per element and thresholdFlags four, for flaggedQuads (little-endian hosts) */
  readonly adcPairs: Uint32Array;
  readonly flagQuads: Uint32Array;
  count = 0;
  /** samples so far */
  total = 0;
  /** the common sample count: -2 before the first record, -1 once records differ */
  common = -2;

  constructor(bytes: number) {
    const records = Math.max(16, Math.ceil(bytes / 256));
    this.channel = new Uint8Array(records);
    this.version = new Uint8Array(records);
    this.timestamp = new Float64Array(records);
    this.chargeStamp = new Uint32Array(records);
    this.sampleCount = new Uint32Array(records);
    this.adcOffset = new Uint32Array(records + 1);
    // uninitialised: every sample is written, and result() zeroes the rest so that nothing stale
    // is reachable through .buffer
    this.adc = new Uint16Array(Buffer.allocUnsafeSlow(bytes & ~1).buffer);
    this.thresholdFlags = new Uint8Array(Buffer.allocUnsafeSlow(bytes >>> 1).buffer);
    this.adcPairs = new Uint32Array(this.adc.buffer, 0, this.adc.length >>> 1);
    this.flagQuads = new Uint32Array(this.thresholdFlags.buffer, 0, this.thresholdFlags.length >>> 2);
  }

  /** Room for one more record; returns its index. */
  next(): number {
    if (this.count === this.channel.length) {
      this.channel = doubled(this.channel);
      this.version = doubled(this.version);
      this.timestamp = doubled(this.timestamp);
      this.chargeStamp = doubled(this.chargeStamp);
      this.sampleCount = doubled(this.sampleCount);
      this.adcOffset = doubled(this.adcOffset);
    }
    return this.count;
  }

  result(truncated: boolean): WaveformBlock {
    const n = this.count;
    this.adcOffset[n] = this.total;
    this.adc.fill(0, this.total);
    this.thresholdFlags.fill(0, this.total);
    return {
      count: n,
      channel: this.channel.subarray(0, n),
      version: this.version.subarray(0, n),
      timestamp: this.timestamp.subarray(0, n),
      chargeStamp: this.chargeStamp.subarray(0, n),
      sampleCount: this.sampleCount.subarray(0, n),
      adcOffset: this.adcOffset.subarray(0, n + 1),
      samplesPerRecord: n ? this.common : 0,
      adc: this.adc.subarray(0, this.total),
      thresholdFlags: this.thresholdFlags.subarray(0, this.total),
      truncated,
    };
  }
}

// The sample loops, one small function per sample word format so that each is optimised on its
// own, early and once, whatever mix of versions a buffer holds. `p` is the byte of the first
// sample word, `stride` the bytes between sample words.

/** 0x80 and 0x82: the sample in bits 2-15, the discriminator flag in bit 1. */
function flaggedSamples(dv: DataView, p: number, stride: number, adc: Uint16Array, flags: Uint8Array, o: number, end: number): void {
  for (; o < end; o++, p += stride) {
    const s = dv.getUint16(p, true);
    adc[o] = s >>> 2;
    flags[o] = (s >>> 1) & 1;
  }
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * flaggedSamples for consecutive words, four at a time: two 32-bit reads, two 32-bit writes of
 * sample pairs and one of four flags, through Uint32 views of the outputs whose lanes are in host
 * order (so: little-endian hosts only).
 */
function flaggedQuads(dv: DataView, p: number, c: Columns, o: number, end: number): void {
  const { adc, thresholdFlags: flags, adcPairs, flagQuads } = c;
  for (; o & 3 && o < end; o++, p += 2) {
    const s = dv.getUint16(p, true);
    adc[o] = s >>> 2;
    flags[o] = (s >>> 1) & 1;
  }
  for (; o + 3 < end; o += 4, p += 8) {
    const x = dv.getUint32(p, true);
    const y = dv.getUint32(p + 4, true);
    adcPairs[o >>> 1] = (x >>> 2) & 0x3fff3fff;
    adcPairs[(o >>> 1) + 1] = (y >>> 2) & 0x3fff3fff;
    flagQuads[o >>> 2] = ((x >>> 1) & 1) | ((x >>> 9) & 0x100) | ((y << 15) & 0x10000) | ((y << 7) & 0x1000000);
  }
  for (; o < end; o++, p += 2) {
    const s = dv.getUint16(p, true);
    adc[o] = s >>> 2;
    flags[o] = (s >>> 1) & 1;
  }
}

/** 0x81: the sample in bits 2-15, no flag. */
function shiftedSamples(dv: DataView, p: number, adc: Uint16Array, flags: Uint8Array, o: number, end: number): void {
  for (; o < end; o++, p += 2) {
    adc[o] = dv.getUint16(p, true) >>> 2;
    flags[o] = 0;
  }
}

/** 0x90-0x92: a 12-bit sample in bits 0-11, every second word. */
function twelveBitSamples(dv: DataView, p: number, adc: Uint16Array, flags: Uint8Array, o: number, end: number): void {
  for (; o < end; o++, p += 4) {
    adc[o] = dv.getUint16(p, true) & 0xfff;
    flags[o] = 0;
  }
}

/** One record of `nWords` words whose length word is at byte `at`. */
function decodeRecord(dv: DataView, at: number, nWords: number, c: Columns): void {
  const p = at + 4;
  const w0 = dv.getUint16(p, true);
  const v = w0 >>> 8;
  const l = layoutOf(v);
  if (!l) {
    throw new WaveformFormatError(
      `unknown waveform version 0x${v.toString(16)} in the record at byte ${at} (expected 0x80-0x82 or 0x90-0x92)`,
    );
  }
  if (nWords < l.first) {
    throw new WaveformFormatError(
      `waveform record at byte ${at} has ${nWords} words, fewer than the ${l.first}-word header of version 0x${v.toString(16)}`,
    );
  }
  const r = c.next();
  const n = samplesIn(l, nWords);
  const o = c.total;
  const end = o + n;
  c.channel[r] = w0 & 0xff;
  c.version[r] = v;
  c.sampleCount[r] = n;
  c.adcOffset[r] = o;
  c.common = c.common === -2 || c.common === n ? n : -1;
  const w2 = dv.getUint16(p + 4, true);
  const w3 = dv.getUint16(p + 6, true);
  const w4 = dv.getUint16(p + 8, true);
  const w5 = dv.getUint16(p + 10, true);
  if (v === 0x82) {
    c.timestamp[r] = ((w2 >>> 6) & 3) + w5 * 4 + w4 * 2 ** 18 + w3 * 2 ** 34;
    c.chargeStamp[r] = dv.getUint16(p + 14, true) + dv.getUint16(p + 12, true) * TWO16;
    if (littleEndianHost) flaggedQuads(dv, p + 2 * l.first, c, o, end);
    else flaggedSamples(dv, p + 2 * l.first, 2, c.adc, c.thresholdFlags, o, end);
  } else if (v === 0x81) {
    c.timestamp[r] = w5 + w4 * TWO16 + w3 * TWO32;
    shiftedSamples(dv, p + 2 * l.first, c.adc, c.thresholdFlags, o, end);
  } else if (v === 0x80) {
    c.timestamp[r] = w5 + w4 * TWO16 + w3 * TWO32;
    flaggedSamples(dv, p + 2 * l.first, 4, c.adc, c.thresholdFlags, o, end);
  } else {
    c.timestamp[r] = ((w2 >>> 2) & 1) + w5 * 2 + w4 * 2 ** 17 + w3 * 2 ** 33;
    twelveBitSamples(dv, p + 2 * l.first, c.adc, c.thresholdFlags, o, end);
  }
  c.total = end;
  c.count = r + 1;
}

/**
 * Walks the block [start, end) the way the original client does: records until a zero length
 * word, or until fewer than 5 bytes remain. Returns true when a record runs past the end of the block.
 */
function decodeBlock(dv: DataView, start: number, end: number, c: Columns): boolean {
  let at = start;
  while (at + 4 < end) {
    const nWords = dv.getUint32(at, true);
    if (nWords === 0) return false;
    const next = at + 4 + 2 * nWords;
    if (next > end) return true;
    decodeRecord(dv, at, nWords, c);
    at = next;
  }
  return false;
}

/**
 * Decodes `readDEggWfmBlock` payloads. `buf` is one block, or with `blockBytes` the concatenation
 * of blocks of exactly that size (each zero-filled after its last record). The columns of the
 * result may be views of larger buffers (sized before the records were counted).
 */
export function decodeWaveformBlock(buf: Uint8Array, blockBytes?: number): WaveformBlock {
  if (blockBytes !== undefined && (!Number.isInteger(blockBytes) || blockBytes <= 0 || blockBytes % 2 !== 0)) {
    throw new WaveformFormatError(`waveform block size must be a positive even number of bytes, got ${blockBytes}`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const size = blockBytes ?? Math.max(buf.length, 1);
  const c = new Columns(buf.length);
  let truncated = false;
  for (let start = 0; start < buf.length; start += size) {
    if (decodeBlock(dv, start, Math.min(start + size, buf.length), c)) truncated = true;
  }
  return c.result(truncated);
}

/** The samples of record `i` (a view, no copy). */
export function recordAdc(block: WaveformBlock, i: number): Uint16Array {
  return block.adc.subarray(block.adcOffset[i], block.adcOffset[i + 1]);
}

export const CHARGE_STAMP_BYTES = 14;

export interface ChargeStamps {
  count: number;
  /** 0 = lower PMT, 1 = upper PMT */
  channel: Uint8Array;
  /** 0x20 bad waveform, 0x40 bad charge, 0x80 bad discriminator time; FAT drops stamps with any */
  flags: Uint8Array;
  discriminatorOffset: Uint16Array;
  /** 240 MHz ticks, 50 bits */
  timestamp: Float64Array;
  /** the float32 charge in coulombs, times 1e12 */
  chargePc: Float64Array;
}

/** Decodes concatenated 14-byte charge stamps (a trailing partial record is ignored, as the original does). */
export function decodeChargeStamps(buf: Uint8Array): ChargeStamps {
  const count = Math.floor(buf.length / CHARGE_STAMP_BYTES);
  const channel = new Uint8Array(count);
  const flags = new Uint8Array(count);
  const discriminatorOffset = new Uint16Array(count);
  const timestamp = new Float64Array(count);
  const chargePc = new Float64Array(count);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let r = 0, p = 0; r < count; r++, p += CHARGE_STAMP_BYTES) {
    const b1 = buf[p + 1];
    channel[r] = b1 & 0x03;
    flags[r] = b1 & 0xe0;
    discriminatorOffset[r] = buf[p + 2] | (buf[p + 3] << 8);
    timestamp[r] = dv.getUint32(p + 4, true) + (buf[p + 8] | (buf[p + 9] << 8)) * TWO32 + ((buf[p] >>> 6) & 3) * TWO48;
    chargePc[r] = dv.getFloat32(p + 10, true) * 1e12;
  }
  return { count, channel, flags, discriminatorOffset, timestamp, chargePc };
}

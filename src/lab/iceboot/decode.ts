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

const LAYOUTS: Record<number, Layout> = {
  0x80: { first: 7, step: 2 },
  0x81: { first: 13, step: 1 },
  0x82: { first: 17, step: 1 },
  0x90: { first: 6, step: 2 },
  0x91: { first: 8, step: 2 },
  0x92: { first: 8, step: 2 },
};

function layoutOf(version: number): Layout | undefined {
  return LAYOUTS[version];
}

/** Samples of a record of `nWords` words: the words from `first` (stepping) up to the two footer words. */
function samplesIn(l: Layout, nWords: number): number {
  const span = nWords - 2 - l.first;
  return span > 0 ? Math.ceil(span / l.step) : 0;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A uint16 view over `buf` (copied when it is not 2-byte aligned or the host is big-endian). */
function words16(buf: Uint8Array): Uint16Array {
  const n = buf.length >>> 1;
  if (littleEndianHost && (buf.byteOffset & 1) === 0) return new Uint16Array(buf.buffer, buf.byteOffset, n);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = buf[2 * i] | (buf[2 * i + 1] << 8);
  return out;
}

/** Where each record's words start and how many there are; grows as records are found. */
class RecordIndex {
  word = new Uint32Array(256);
  nWords = new Uint32Array(256);
  count = 0;

  push(word: number, nWords: number): void {
    if (this.count === this.word.length) {
      this.word = doubled(this.word);
      this.nWords = doubled(this.nWords);
    }
    this.word[this.count] = word;
    this.nWords[this.count++] = nWords;
  }
}

/**
 * Walks one block the way the original client does: records until a zero length word, or until
 * fewer than 5 bytes remain. Returns true when a record runs past the end of the block.
 */
function scanBlock(w: Uint16Array, byteStart: number, byteEnd: number, out: RecordIndex): boolean {
  let idx = byteStart;
  while (idx + 4 < byteEnd) {
    const wi = idx >>> 1;
    const nWords = (w[wi] + w[wi + 1] * TWO16) >>> 0;
    idx += 4;
    if (nWords === 0) return false;
    if (idx + 2 * nWords > byteEnd) return true;
    out.push(idx >>> 1, nWords);
    idx += 2 * nWords;
  }
  return false;
}

/**
 * Decodes `readDEggWfmBlock` payloads. `buf` is one block, or with `blockBytes` the concatenation
 * of blocks of exactly that size (each zero-filled after its last record).
 */
export function decodeWaveformBlock(buf: Uint8Array, blockBytes?: number): WaveformBlock {
  const w = words16(buf);
  if (blockBytes !== undefined && (!Number.isInteger(blockBytes) || blockBytes <= 0 || blockBytes % 2 !== 0)) {
    throw new WaveformFormatError(`waveform block size must be a positive even number of bytes, got ${blockBytes}`);
  }
  const size = blockBytes ?? Math.max(buf.length, 1);
  const refs = new RecordIndex();
  let truncated = false;
  for (let start = 0; start < buf.length; start += size) {
    if (scanBlock(w, start, Math.min(start + size, buf.length), refs)) truncated = true;
  }

  const count = refs.count;
  const starts = refs.word;
  const channel = new Uint8Array(count);
  const version = new Uint8Array(count);
  const timestamp = new Float64Array(count);
  const chargeStamp = new Uint32Array(count);
  const sampleCount = new Uint32Array(count);
  const adcOffset = new Uint32Array(count + 1);
  let total = 0;
  let common = count ? -2 : 0;
  for (let r = 0; r < count; r++) {
    const word = starts[r];
    const nWords = refs.nWords[r];
    const w0 = w[word];
    const v = w0 >>> 8;
    const l = layoutOf(v);
    if (!l) {
      throw new WaveformFormatError(
        `unknown waveform version 0x${v.toString(16)} in the record at byte ${2 * word - 4} (expected 0x80-0x82 or 0x90-0x92)`,
      );
    }
    if (nWords < l.first) {
      throw new WaveformFormatError(
        `waveform record at byte ${2 * word - 4} has ${nWords} words, fewer than the ${l.first}-word header of version 0x${v.toString(16)}`,
      );
    }
    version[r] = v;
    channel[r] = w0 & 0xff;
    const n = samplesIn(l, nWords);
    sampleCount[r] = n;
    adcOffset[r] = total;
    total += n;
    common = common === -2 || common === n ? n : -1;
  }
  adcOffset[count] = total;

  const adc = new Uint16Array(total);
  const thresholdFlags = new Uint8Array(total);
  for (let r = 0; r < count; r++) {
    const base = starts[r];
    const v = version[r];
    const w2 = w[base + 2];
    const w3 = w[base + 3];
    const w4 = w[base + 4];
    const w5 = w[base + 5];
    let o = adcOffset[r];
    const end = adcOffset[r + 1];
    if (v === 0x82) {
      timestamp[r] = ((w2 >>> 6) & 3) + w5 * 4 + w4 * 2 ** 18 + w3 * 2 ** 34;
      chargeStamp[r] = (w[base + 7] + w[base + 6] * TWO16) >>> 0;
      for (let i = base + 17; o < end; o++, i++) {
        const s = w[i];
        adc[o] = s >>> 2;
        thresholdFlags[o] = (s >>> 1) & 1;
      }
    } else if (v === 0x81) {
      timestamp[r] = w5 + w4 * TWO16 + w3 * TWO32;
      for (let i = base + 13; o < end; o++, i++) adc[o] = w[i] >>> 2;
    } else if (v === 0x80) {
      timestamp[r] = w5 + w4 * TWO16 + w3 * TWO32;
      for (let i = base + 7; o < end; o++, i += 2) {
        const s = w[i];
        adc[o] = s >>> 2;
        thresholdFlags[o] = (s >>> 1) & 1;
      }
    } else {
      timestamp[r] = ((w2 >>> 2) & 1) + w5 * 2 + w4 * 2 ** 17 + w3 * 2 ** 33;
      for (let i = base + (v === 0x90 ? 6 : 8); o < end; o++, i += 2) adc[o] = w[i] & 0xfff;
    }
  }
  return {
    count,
    channel,
    version,
    timestamp,
    chargeStamp,
    sampleCount,
    adcOffset,
    samplesPerRecord: common,
    adc,
    thresholdFlags,
    truncated,
  };
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

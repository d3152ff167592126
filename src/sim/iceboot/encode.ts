/**
 * Binary records the D-Egg mainboard sends (reference/iceboot-protocol.md §3.8-3.9): waveform
 * version 0x82 (17 header words, samples, 2 footer words, all uint16 LE) and the 14-byte D-Egg
 * charge stamp. Timestamps are 240 MHz ticks held in a double (exact up to 2^53).
 */

export const WFM_V82_HEADER_WORDS = 17;
export const WFM_V82_FOOTER_WORDS = 2;
export const CHARGE_STAMP_BYTES = 14;

export const wfmV82Words = (nSamples: number) => WFM_V82_HEADER_WORDS + nSamples + WFM_V82_FOOTER_WORDS;
/** bytes of one record in a readDEggWfmBlock payload: uint32 word count + the words */
export const wfmV82RecordBytes = (nSamples: number) => 4 + 2 * wfmV82Words(nSamples);

const P16 = 0x10000;
const bits = (ts: number, lo: number, n: number) => Math.floor(ts / 2 ** lo) % 2 ** n;

/**
 * One 0x82 waveform: `adc` holds the 14-bit samples; `overThreshold` (optional) sets each sample's
 * threshold flag.
 */
type WfmV82 = [channel: number, tsTicks: number, adc: ArrayLike<number>, nSamples: number, overThreshold?: ArrayLike<number>];

/** Writes the words of one 0x82 waveform at byte `offset` of `buf` and returns the offset after it. */
export function writeWfmV82Words(buf: Buffer, offset: number, ...[channel, tsTicks, adc, nSamples, overThreshold]: WfmV82): number {
  const need = 2 * wfmV82Words(nSamples);
  if (offset < 0 || offset + need > buf.length)
    throw new RangeError(`a waveform of ${need} bytes does not fit at ${offset} of ${buf.length}`);
  const ts = Math.max(0, Math.floor(tsTicks));
  let o = offset;
  // byte by byte, range checked once above: writeUInt16LE per sample took a fifth of the lab's time
  const w = (v: number) => {
    buf[o++] = v & 0xff;
    buf[o++] = (v >>> 8) & 0xff;
  };
  w(0x8200 | (channel & 0xff));
  w(nSamples);
  w(0x100 | (bits(ts, 0, 2) << 6));
  w(bits(ts, 34, 16));
  w(bits(ts, 18, 16));
  w(bits(ts, 2, 16));
  for (let i = 6; i < WFM_V82_HEADER_WORDS; i++) w(0);
  if ((buf.byteOffset + o) % 2 === 0) {
    // a view of whole words where they are aligned: little-endian hosts (x86, ARM) write the wire order
    const words = new Uint16Array(buf.buffer, buf.byteOffset + o, nSamples);
    if (overThreshold) for (let i = 0; i < nSamples; i++) words[i] = ((adc[i] & 0x3fff) << 2) | (overThreshold[i] ? 2 : 0);
    else for (let i = 0; i < nSamples; i++) words[i] = (adc[i] & 0x3fff) << 2;
    o += 2 * nSamples;
  } else
    for (let i = 0; i < nSamples; i++) {
      const v = ((adc[i] & 0x3fff) << 2) | (overThreshold?.[i] ? 2 : 0);
      buf[o++] = v & 0xff;
      buf[o++] = v >>> 8;
    }
  w(0);
  w(0);
  return o;
}

/** One record as readDEggWfmBlock packs it: uint32 LE word count, then the words. */
export function writeWfmV82Record(buf: Buffer, offset: number, ...wfm: WfmV82): number {
  const nSamples = wfm[3];
  buf.writeUInt32LE(wfmV82Words(nSamples), offset);
  return writeWfmV82Words(buf, offset + 4, ...wfm);
}

/** Writes one 14-byte D-Egg charge stamp (charge in coulombs) and returns the offset after it. */
export function writeChargeStamp(
  buf: Buffer,
  offset: number,
  channel: number,
  tsTicks: number,
  chargeC: number,
  flags = 0,
  discriminatorOffset = 0,
): number {
  const ts = Math.max(0, Math.floor(tsTicks));
  buf[offset] = 0x10 | (bits(ts, 48, 2) << 6);
  buf[offset + 1] = (channel & 0x03) | (flags & 0xe0);
  buf.writeUInt16LE(discriminatorOffset & 0xffff, offset + 2);
  const lo48 = ts % 2 ** 48;
  buf.writeUInt32LE(lo48 % 2 ** 32, offset + 4);
  buf.writeUInt16LE(Math.floor(lo48 / 2 ** 32) % P16, offset + 8);
  buf.writeFloatLE(chargeC, offset + 10);
  return offset + CHARGE_STAMP_BYTES;
}

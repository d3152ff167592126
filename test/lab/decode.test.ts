import { describe, expect, it } from 'vitest';
import { decodeChargeStamps, decodeWaveformBlock, recordAdc } from '../../src/lab/iceboot/decode.js';

/** Builds `readDEggWfmBlock` bytes by hand: [uint32 n_words][words], then zero fill. */
function block(records: number[][], size?: number): Uint8Array {
  const len = records.reduce((s, r) => s + 4 + 2 * r.length, 0);
  const buf = Buffer.alloc(size ?? len);
  let o = 0;
  for (const r of records) {
    buf.writeUInt32LE(r.length, o);
    o += 4;
    for (const w of r) {
      buf.writeUInt16LE(w, o);
      o += 2;
    }
  }
  return buf;
}

const sampleWord = (adc: number, flag = 0) => (adc << 2) | (flag << 1);

/** A 0x82 record; ts up to 50 bits */
function v82(ch: number, ts: bigint, adc: number[], flags: number[] = [], charge = 0): number[] {
  const w = new Array<number>(17).fill(0);
  w[0] = 0x8200 | ch;
  w[1] = adc.length;
  w[2] = 0x100 | (Number(ts & 3n) << 6);
  w[3] = Number((ts >> 34n) & 0xffffn);
  w[4] = Number((ts >> 18n) & 0xffffn);
  w[5] = Number((ts >> 2n) & 0xffffn);
  w[6] = (charge >>> 16) & 0xffff;
  w[7] = charge & 0xffff;
  return [...w, ...adc.map((a, i) => sampleWord(a, flags[i] ?? 0)), 0, 0];
}

function v81(ch: number, ts: bigint, adc: number[]): number[] {
  const w = new Array<number>(13).fill(0);
  w[0] = 0x8100 | ch;
  w[1] = adc.length;
  w[3] = Number((ts >> 32n) & 0xffffn);
  w[4] = Number((ts >> 16n) & 0xffffn);
  w[5] = Number(ts & 0xffffn);
  return [...w, ...adc.map((a) => sampleWord(a)), 0, 0];
}

function v80(ch: number, ts: bigint, adc: number[], flags: number[] = []): number[] {
  const w = new Array<number>(6).fill(0);
  w[0] = 0x8000 | ch;
  w[1] = adc.length;
  w[3] = Number((ts >> 32n) & 0xffffn);
  w[4] = Number((ts >> 16n) & 0xffffn);
  w[5] = Number(ts & 0xffffn);
  // sample pairs from w6: the first word carries discriminator bits, the second the sample
  const pairs = adc.flatMap((a, i) => [0xdead, sampleWord(a, flags[i] ?? 0)]);
  return [...w, ...pairs, 0, 0];
}

describe('decodeWaveformBlock', () => {
  it('reads a 0x82 record: channel, 50-bit timestamp, charge stamp, samples and threshold flags', () => {
    const ts = (1n << 49n) + 123456789n * 4n + 3n;
    const buf = block([v82(1, ts, [8027, 8030, 16383, 0], [0, 1, 1, 0], 0x12345678)], 66000);
    const b = decodeWaveformBlock(buf);
    expect(b.count).toBe(1);
    expect(b.version[0]).toBe(0x82);
    expect(b.channel[0]).toBe(1);
    expect(BigInt(b.timestamp[0])).toBe(ts);
    expect(b.chargeStamp[0]).toBe(0x12345678);
    expect(b.samplesPerRecord).toBe(4);
    expect(Array.from(recordAdc(b, 0))).toEqual([8027, 8030, 16383, 0]);
    expect(Array.from(b.thresholdFlags)).toEqual([0, 1, 1, 0]);
    expect(b.truncated).toBe(false);
  });

  it('reads 0x81 and 0x80 records with their 48-bit timestamps', () => {
    const ts = (0xabcdn << 32n) | (0x1234n << 16n) | 0x5678n;
    const b = decodeWaveformBlock(block([v81(0, ts, [1, 2, 3]), v80(1, ts + 1n, [100, 200, 300], [1, 0, 1])]));
    expect(b.count).toBe(2);
    expect(Array.from(b.version)).toEqual([0x81, 0x80]);
    expect(Array.from(b.channel)).toEqual([0, 1]);
    expect(b.timestamp[0]).toBe(Number(ts));
    expect(b.timestamp[1]).toBe(Number(ts + 1n));
    expect(Array.from(recordAdc(b, 0))).toEqual([1, 2, 3]);
    expect(Array.from(recordAdc(b, 1))).toEqual([100, 200, 300]);
    expect(Array.from(b.thresholdFlags.subarray(3))).toEqual([1, 0, 1]);
    expect(b.samplesPerRecord).toBe(3);
  });

  it('reads the 12-bit 0x90-0x92 formats', () => {
    const words = [0x9102, 2, 0b100, 0, 0, 5, 0, 0, 0xf123, 0, 0xf456, 0, 0, 0];
    const b = decodeWaveformBlock(block([words]));
    expect(b.version[0]).toBe(0x91);
    expect(b.channel[0]).toBe(2);
    expect(b.timestamp[0]).toBe(11); // bit 2 of w2, then w5 << 1
    expect(Array.from(recordAdc(b, 0))).toEqual([0x123, 0x456]);
  });

  it('stops at the zero fill and walks many records of a full 66000-byte block', () => {
    const recs = Array.from({ length: 221 }, (_, i) => v82(0, BigInt(1000 * i), new Array<number>(128).fill(8000 + (i % 7))));
    const b = decodeWaveformBlock(block(recs, 66000));
    expect(b.count).toBe(221);
    expect(b.adc.length).toBe(221 * 128);
    expect(b.samplesPerRecord).toBe(128);
    expect(b.timestamp[220]).toBe(220000);
    expect(recordAdc(b, 6)[127]).toBe(8006);
  });

  it('decodes concatenated blocks when given the block size', () => {
    const one = block([v82(0, 5n, [1, 2])], 100);
    const two = block([v82(1, 6n, [3, 4]), v82(1, 7n, [5, 6])], 100);
    const b = decodeWaveformBlock(Buffer.concat([one, two]), 100);
    expect(b.count).toBe(3);
    expect(Array.from(b.channel)).toEqual([0, 1, 1]);
    expect(Array.from(b.adc)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps the complete records of a truncated block and says it was truncated', () => {
    const full = block([v82(0, 1n, [10, 11, 12]), v82(0, 2n, [13, 14, 15])]);
    const b = decodeWaveformBlock(full.subarray(0, full.length - 5));
    expect(b.count).toBe(1);
    expect(b.truncated).toBe(true);
    expect(Array.from(b.adc)).toEqual([10, 11, 12]);
  });

  it('stops when fewer than 5 bytes remain and handles an odd buffer offset', () => {
    const data = block([v82(0, 9n, [42])]);
    const padded = Buffer.concat([Buffer.from([0xff]), data, Buffer.from([1, 0, 0, 0])]);
    const b = decodeWaveformBlock(padded.subarray(1)); // odd byteOffset, 4 trailing bytes
    expect(b.count).toBe(1);
    expect(b.adc[0]).toBe(42);
    expect(b.truncated).toBe(false);
  });

  it('names the unknown version and where the record starts', () => {
    expect(() => decodeWaveformBlock(block([[0x7700, 0, 0, 0, 0, 0, 0, 0, 0]]))).toThrow(
      /unknown waveform version 0x77 in the record at byte 0/,
    );
  });

  it('matches a word-by-word decode on mixed records, blocks split at odd word offsets and any byte offset', () => {
    let seed = 99;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    const adcs = (n: number) => Array.from({ length: n }, () => rand(16384));
    const flagsOf = (n: number) => Array.from({ length: n }, () => rand(2));
    const make = [
      (n: number) => v82(rand(2), BigInt(rand(2 ** 30)) * 4096n, adcs(n), flagsOf(n), rand(2 ** 32)),
      (n: number) => v81(rand(2), BigInt(rand(2 ** 30)) * 256n, adcs(n)),
      (n: number) => v80(rand(2), BigInt(rand(2 ** 30)), adcs(n), flagsOf(n)),
      (n: number) => [
        0x9000 | rand(2),
        n,
        rand(8),
        rand(65536),
        rand(65536),
        rand(65536),
        ...adcs(n).flatMap((a) => [0xf000 | (a & 0xfff), 0xdead]),
        0,
        0,
      ],
    ];
    // blocks of 400 bytes holding 1-3 records of 1-9 samples each: sample words start at odd and even words
    const blockBytes = 400;
    const blocks: Uint8Array[] = [];
    for (let b = 0; b < 12; b++) {
      const recs = Array.from({ length: 1 + rand(3) }, () => make[rand(make.length)](1 + rand(9)));
      blocks.push(block(recs, blockBytes));
    }
    const bytes = Buffer.concat(blocks);

    // the original client's walk, one word at a time
    const want = {
      channel: [] as number[],
      version: [] as number[],
      timestamp: [] as number[],
      adc: [] as number[],
      flags: [] as number[],
    };
    for (let start = 0; start < bytes.length; start += blockBytes) {
      for (let at = start; at + 4 < start + blockBytes;) {
        const n = bytes.readUInt32LE(at);
        if (n === 0) break;
        const w = Array.from({ length: n }, (_, i) => bytes.readUInt16LE(at + 4 + 2 * i));
        const v = w[0] >> 8;
        want.channel.push(w[0] & 0xff);
        want.version.push(v);
        const [w2, w3, w4, w5] = [w[2], w[3], w[4], w[5]].map(BigInt);
        if (v === 0x82) want.timestamp.push(Number(((w2 >> 6n) & 3n) | (w5 << 2n) | (w4 << 18n) | (w3 << 34n)));
        else if (v === 0x90) want.timestamp.push(Number(((w2 >> 2n) & 1n) | (w5 << 1n) | (w4 << 17n) | (w3 << 33n)));
        else want.timestamp.push(Number(w5 | (w4 << 16n) | (w3 << 32n)));
        const [first, step] = v === 0x82 ? [17, 1] : v === 0x81 ? [13, 1] : v === 0x80 ? [7, 2] : [6, 2];
        for (let i = first; i < n - 2; i += step) {
          want.adc.push(v === 0x90 ? w[i] & 0xfff : w[i] >> 2);
          want.flags.push(v === 0x82 || v === 0x80 ? (w[i] >> 1) & 1 : 0);
        }
        at += 4 + 2 * n;
      }
    }

    for (const shift of [0, 1, 2, 3]) {
      const host = Buffer.alloc(bytes.length + shift, 0xff);
      bytes.copy(host, shift);
      const b = decodeWaveformBlock(host.subarray(shift), blockBytes);
      expect(b.count).toBe(want.version.length);
      expect(Array.from(b.version)).toEqual(want.version);
      expect(Array.from(b.channel)).toEqual(want.channel);
      expect(Array.from(b.timestamp)).toEqual(want.timestamp);
      expect(Array.from(b.adc)).toEqual(want.adc);
      expect(Array.from(b.thresholdFlags)).toEqual(want.flags);
      expect(b.adcOffset[b.count]).toBe(want.adc.length);
      expect(b.samplesPerRecord).toBe(-1);
      // the columns may be views of larger buffers: nothing past the samples is left over from elsewhere
      expect(new Uint16Array(b.adc.buffer, b.adc.byteOffset + b.adc.byteLength).every((x) => x === 0)).toBe(true);
      expect(new Uint8Array(b.thresholdFlags.buffer, b.thresholdFlags.byteOffset + b.thresholdFlags.byteLength).every((x) => x === 0)).toBe(
        true,
      );
    }
    expect(new Set(want.version)).toEqual(new Set([0x80, 0x81, 0x82, 0x90]));
  });

  it('names the record whose length word announces less than its header', () => {
    expect(() => decodeWaveformBlock(block([[0x8200, 0, 0, 0, 0, 0, 0, 0]]))).toThrow(
      /waveform record at byte 0 has 8 words, fewer than the 17-word header of version 0x82/,
    );
  });

  it('returns an empty result for an all-zero block', () => {
    const b = decodeWaveformBlock(new Uint8Array(66000));
    expect(b.count).toBe(0);
    expect(b.samplesPerRecord).toBe(0);
  });
});

describe('decodeChargeStamps', () => {
  function stamp(ch: number, ts: bigint, chargeC: number, flags = 0, disc = 0): Buffer {
    const b = Buffer.alloc(14);
    b[0] = 0x10 | (Number((ts >> 48n) & 3n) << 6);
    b[1] = ch | flags;
    b.writeUInt16LE(disc, 2);
    b.writeUIntLE(Number(ts & 0xffffffffffffn), 4, 6);
    b.writeFloatLE(chargeC, 10);
    return b;
  }

  it('reads channel, flags, 50-bit timestamp and the charge in pC', () => {
    const ts = (3n << 48n) + 987654321n;
    const buf = Buffer.concat([stamp(1, ts, 1.6e-12, 0, 7), stamp(0, 2400000n, 3.2e-12, 0x40), Buffer.from([1, 2, 3])]);
    const s = decodeChargeStamps(buf);
    expect(s.count).toBe(2);
    expect(Array.from(s.channel)).toEqual([1, 0]);
    expect(Array.from(s.flags)).toEqual([0, 0x40]);
    expect(s.discriminatorOffset[0]).toBe(7);
    expect(BigInt(s.timestamp[0])).toBe(ts);
    expect(s.timestamp[1]).toBe(2400000);
    expect(s.chargePc[0]).toBeCloseTo(1.6, 5);
    expect(s.chargePc[1]).toBeCloseTo(3.2, 5);
  });
});

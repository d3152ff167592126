import { describe, expect, it } from 'vitest';
import { decodeWaveformBlock } from '../../src/lab/iceboot/decode.js';
import { wfmV82RecordBytes, writeWfmV82Record } from '../../src/sim/iceboot/encode.js';

/**
 * The simulated mainboard's 0x82 waveform records, read back by icefat's decoder: the samples go
 * out as whole little-endian words where the record is word-aligned in its buffer, byte by byte
 * where it is not, and both read back as written.
 */
describe('0x82 waveform records from the simulated mainboard', () => {
  const n = 255;
  const adc = Float64Array.from({ length: n }, (_, i) => (i * 97 + 8000) % 16384);
  const flags = Uint8Array.from({ length: n }, (_, i) => (adc[i] > 12000 ? 1 : 0));

  for (const offset of [0, 1]) {
    for (const withFlags of [false, true]) {
      it(`reads back a record written at byte ${offset}${withFlags ? ', with threshold flags' : ''}`, () => {
        const buf = Buffer.alloc(offset + wfmV82RecordBytes(n));
        const end = writeWfmV82Record(buf, offset, 1, 123456789, adc, n, withFlags ? flags : undefined);
        expect(end).toBe(buf.length);
        const block = decodeWaveformBlock(buf.subarray(offset));
        expect(block.count).toBe(1);
        expect(block.channel[0]).toBe(1);
        expect(block.timestamp[0]).toBe(123456789);
        expect(Array.from(block.adc)).toEqual(Array.from(adc));
        expect(Array.from(block.thresholdFlags)).toEqual(withFlags ? Array.from(flags) : new Array(n).fill(0));
      });
    }
  }
});

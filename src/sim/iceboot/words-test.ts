import { Rng } from '../rng.js';
import type { Ch } from './acquisition.js';
import { wfmV82RecordBytes, wfmV82Words, writeWfmV82Words } from './encode.js';
import type { MainboardSim } from './mainboard.js';
import { PulseTrain, renderWindow } from './pulses.js';
import type { Word, WordIO } from './words.js';
import { fail, flag, needFpga, popCh } from './words-util.js';

/**
 * The test and diagnostic words of the public iceboot client (degg_scan STM32Tools:
 * devices/xdom.py, devices/degg.py) that FAT-related scripts may call. Their replies take the
 * form that client parses:
 * - `<pages> memtest` (degg.py memtest): whitespace tokens, commas dropped, tokens 2 and 4 are
 *   the two DDR3 lanes' results (1 = pass): `memtest lane0: 1, lane1: 1`;
 * - `<len> <addr> printFPGA` (xdom.py fpgaRead): decimal words separated by spaces;
 * - `<len> <addr> dumpFPGA` (xdom.py fpgaDump, uint16_cmd): exactly 2·len bytes, uint16 LE;
 * - `<ch> testDEggCPUTrig` and `nextDirectWaveformBuffer`: nothing; the waveform is read as
 *   xdom.py testDEggWaveformReadout does: register 0xDFE gives the words ready, address 0 on the
 *   first (version, channel), 1 the samples, then pages of at most 2048 words, each released by
 *   nextDirectWaveformBuffer;
 * - `isDEggHitBufferEmpty .s drop` (degg.py), `isHitBufferOverflown .s drop` (xdom.py): a flag;
 *   `stopHitBuffer`: nothing;
 * - `calibrateDEggCh0Timing` / `calibrateDEggCh1Timing` (degg.py): a JSON object. The client only
 *   json.loads it; the fields are the simulator's (the firmware is not public): the input-delay
 *   taps of the ADC's data lines where its test pattern reads back (tapLow..tapHigh), the tap
 *   chosen in their middle, and isValid.
 */
export const DDR3_PAGES = 65536;
const DDR3_PAGE_BYTES = 2048;
const HIT_BUFFER_BYTES = DDR3_PAGES * DDR3_PAGE_BYTES;
const DPRAM_PAGE_WORDS = 2048;
/** FPGA register: words of the direct waveform buffer ready on its current page */
const DPRAM_READY_REG = 0xdfe;
const MAX_FPGA_WORDS = 4096;
/** lab time memtest takes per page (both lanes) */
const MEMTEST_MS_PER_PAGE = 0.5;
const DELAY_TAPS = 32;

function fpgaWord(m: MainboardSim, addr: number): number {
  const d = m.acq.direct;
  if (!d) return 0;
  const first = d.page * DPRAM_PAGE_WORDS;
  if (addr === DPRAM_READY_REG) return Math.min(DPRAM_PAGE_WORDS, d.words.length - first);
  return addr < DPRAM_PAGE_WORDS ? (d.words[first + addr] ?? 0) : 0;
}

function fpgaWords(m: MainboardSim, io: WordIO, word: string): number[] {
  const [len, addr] = io.stack.popN(word, 2);
  if (len < 1 || len > MAX_FPGA_WORDS || addr < 0 || addr + len > 0x10000) throw fail(word);
  needFpga(m, word);
  return Array.from({ length: len }, (_, i) => fpgaWord(m, addr + i));
}

/**
 * The hit buffer takes every trigger up to now, until it is full. Nothing reads it back here, so
 * its records are counted, not drawn one by one: a Poisson number at the channel's trigger rate
 * (the scalers' rate, or the external trigger's), less the readout's dead time.
 */
function fillHitBuffer(m: MainboardSim): void {
  const hb = m.acq.hitBuffer;
  const s = m.acq.stream;
  if (!hb || !s) return;
  const now = m.nowTick();
  const dtS = (now - hb.untilTick) / 240e6;
  hb.untilTick = now;
  if (hb.overflown || !(dtS > 0)) return;
  for (const ch of s.channels) {
    const rateHz = s.kind === 'ext' ? m.externalTriggerHz() : m.scalerRateHz(ch);
    const n = m.acq.nSamples[ch];
    const records = m.rng.poisson((rateHz / (1 + (rateHz * n) / 240e6)) * dtS);
    hb.records += records;
    hb.bytes += records * wfmV82RecordBytes(n);
  }
  if (hb.bytes > HIT_BUFFER_BYTES) {
    hb.overflown = true;
    hb.bytes = HIT_BUFFER_BYTES;
  }
}

function calibrateTiming(ch: Ch): Word {
  const word = `calibrateDEggCh${ch}Timing`;
  return async (m, io) => {
    needFpga(m, word);
    await m.ctx.clock.sleep(500, io.signal);
    const eye = Rng.derive(m.ctx.seed, `adc-eye/${m.port}/${ch}`);
    const tapLow = eye.int(1, 10);
    const tapHigh = Math.min(DELAY_TAPS - 1, tapLow + eye.int(12, 18));
    io.print(JSON.stringify({ channel: ch, tapLow, tapHigh, tap: Math.round((tapLow + tapHigh) / 2), isValid: true }));
  };
}

export const TEST_WORDS: Array<[string, Word]> = [
  [
    'memtest',
    async (m, io) => {
      const pages = io.stack.pop('memtest');
      if (pages < 1 || pages > DDR3_PAGES) throw fail('memtest');
      await m.ctx.clock.sleep(pages * MEMTEST_MS_PER_PAGE, io.signal);
      // the DDR3 hangs off the FPGA: without a configuration neither lane answers
      const ok = flag(m.fpgaConfigured);
      io.print(`memtest lane0: ${ok}, lane1: ${ok}`);
    },
  ],
  [
    'testDEggCPUTrig',
    (m, io) => {
      const ch = popCh(io, 'testDEggCPUTrig');
      needFpga(m, 'testDEggCPUTrig');
      // a forced window at a random moment: the baseline and its noise
      const n = m.acq.nSamples[ch];
      const v = m.view(ch);
      const now = m.nowTick();
      const samples = new Float64Array(n);
      renderWindow(samples, n, new PulseTrain(), now, v.baselineAdc, v.noiseAdc, m.rng);
      const buf = Buffer.alloc(2 * wfmV82Words(n));
      writeWfmV82Words(buf, 0, ch, now, samples, n);
      m.acq.direct = { words: Uint16Array.from({ length: buf.length / 2 }, (_, i) => buf.readUInt16LE(2 * i)), page: 0 };
    },
  ],
  [
    'nextDirectWaveformBuffer',
    (m) => {
      const d = m.acq.direct;
      if (d && ++d.page * DPRAM_PAGE_WORDS >= d.words.length) m.acq.direct = null;
    },
  ],
  ['printFPGA', (m, io) => io.print(fpgaWords(m, io, 'printFPGA').join(' '))],
  [
    'dumpFPGA',
    (m, io) => {
      const words = fpgaWords(m, io, 'dumpFPGA');
      const out = Buffer.alloc(2 * words.length);
      words.forEach((w, i) => out.writeUInt16LE(w, 2 * i));
      io.printBytes(out);
    },
  ],
  [
    'isDEggHitBufferEmpty',
    (m, io) => {
      needFpga(m, 'isDEggHitBufferEmpty');
      fillHitBuffer(m);
      io.stack.push(flag(!m.acq.hitBuffer?.records));
    },
  ],
  [
    'isHitBufferOverflown',
    (m, io) => {
      needFpga(m, 'isHitBufferOverflown');
      fillHitBuffer(m);
      io.stack.push(flag(m.acq.hitBuffer?.overflown ?? false));
    },
  ],
  [
    'stopHitBuffer',
    (m) => {
      needFpga(m, 'stopHitBuffer');
      fillHitBuffer(m);
      if (m.acq.hitBuffer) m.acq.stop();
    },
  ],
  ['calibrateDEggCh0Timing', calibrateTiming(0)],
  ['calibrateDEggCh1Timing', calibrateTiming(1)],
];

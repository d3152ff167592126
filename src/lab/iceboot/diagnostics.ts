import { decodeWaveformBlock, type WaveformBlock } from './decode.js';
import { IcebootError, showReply } from './errors.js';
import type { IcebootSession, PmtChannel } from './session.js';

/**
 * The test and diagnostic words of the public iceboot client (degg_scan STM32Tools:
 * devices/degg.py, devices/xdom.py) that FAT-related scripts may call, with the replies parsed as
 * that client parses them. None of them is part of the FAT itself.
 */
const DPRAM_READY_REG = 0xdfe;
const DPRAM_PAGE_WORDS = 2048;
const WFM_OVERHEAD_WORDS: Record<number, { header: number; footer: number; perSample: number }> = {
  0x80: { header: 6, footer: 2, perSample: 2 },
  0x81: { header: 13, footer: 2, perSample: 1 },
  0x82: { header: 17, footer: 2, perSample: 1 },
  0x90: { header: 6, footer: 2, perSample: 2 },
  0x91: { header: 8, footer: 2, perSample: 2 },
  0x92: { header: 8, footer: 2, perSample: 2 },
};

function unexpected(s: IcebootSession, line: string, reply: string, expected: string): IcebootError {
  const kind = /: FAIL|ERROR/.test(reply) ? 'failed' : 'unexpected';
  return new IcebootError(kind, s.module, line, `${s.module} answered "${line}" with ${showReply(reply)}, expected ${expected}`);
}

/** `<pages> memtest` (up to 300 s): true when both DDR3 lanes pass (tokens 2 and 4 are 1, commas dropped). */
export async function memtest(s: IcebootSession, pages = 65536): Promise<boolean> {
  const line = `${pages} memtest`;
  const out = await s.cmd(line, 300_000);
  const words = out
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replace(/,/g, ''));
  if (words.length < 5 || !/^\d+$/.test(words[2]) || !/^\d+$/.test(words[4])) throw unexpected(s, line, out, "the two lanes' results");
  return Number(words[2]) === 1 && Number(words[4]) === 1;
}

/** `<len> <addr> printFPGA`: FPGA words as decimal numbers. */
export async function fpgaRead(s: IcebootSession, addr: number, len: number): Promise<number[]> {
  const line = `${len} ${addr} printFPGA`;
  const out = await s.cmd(line);
  const words = out.trim().split(/\s+/);
  if (words.length !== len || words.some((w) => !/^\d+$/.test(w))) throw unexpected(s, line, out, `${len} decimal numbers`);
  return words.map(Number);
}

/** `<len> <addr> dumpFPGA`: the same words raw, 2·len bytes little-endian. */
export async function fpgaDump(s: IcebootSession, addr: number, len: number): Promise<Uint16Array> {
  const raw = await s.rawCmd(`${len} ${addr} dumpFPGA`, 2 * len, 3000);
  return Uint16Array.from({ length: len }, (_, i) => raw.readUInt16LE(2 * i));
}

/** `<ch> testDEggCPUTrig`: one forced waveform of the channel's readout length into the direct buffer. */
export async function testCpuTrigger(s: IcebootSession, ch: PmtChannel): Promise<void> {
  await s.exec(`${ch} testDEggCPUTrig`);
}

/**
 * The waveform in the direct buffer, read as xdom.py testDEggWaveformReadout does: register 0xDFE
 * holds the words ready (none below 8), the first word the version, the second the samples, then
 * pages of at most 2048 words from address 0, each released by nextDirectWaveformBuffer.
 * Returns null when the buffer holds no waveform.
 */
export async function readDirectWaveform(s: IcebootSession): Promise<WaveformBlock | null> {
  const [ready] = await fpgaRead(s, DPRAM_READY_REG, 1);
  if (ready < 8) return null;
  const [w0, w1] = await fpgaDump(s, 0, 2);
  const layout = WFM_OVERHEAD_WORDS[w0 >> 8];
  if (!layout) throw unexpected(s, '0 1 dumpFPGA', `0x${w0.toString(16)}`, 'a waveform header word (version 0x80-0x82 or 0x90-0x92)');
  let left = w1 * layout.perSample + layout.header + layout.footer;
  const record = Buffer.alloc(4 + 2 * left);
  record.writeUInt32LE(left, 0);
  for (let at = 4; left > 0;) {
    const n = Math.min(left, DPRAM_PAGE_WORDS);
    const words = await fpgaDump(s, 0, n);
    for (const w of words) at = record.writeUInt16LE(w, at);
    left -= n;
    await s.exec('nextDirectWaveformBuffer');
  }
  return decodeWaveformBlock(record);
}

/** `<mask> 0 <mode> startDEggWfmStream` with mode 64 (ADC), 66 (external) or 68 (FIR): triggers into the DDR3 hit buffer. */
export async function startHitBufferStream(s: IcebootSession, trigger: 'adc' | 'external' | 'fir', ch?: PmtChannel): Promise<void> {
  const mode = { adc: 64, external: 66, fir: 68 }[trigger];
  await s.startWfmStream(ch === undefined ? 3 : 1 << ch, 0, mode);
}

export async function hitBufferEmpty(s: IcebootSession): Promise<boolean> {
  return (await s.intCmd('isDEggHitBufferEmpty .s drop')) !== 0;
}

export async function hitBufferOverflown(s: IcebootSession): Promise<boolean> {
  return (await s.intCmd('isHitBufferOverflown .s drop')) !== 0;
}

export async function stopHitBuffer(s: IcebootSession): Promise<void> {
  await s.exec('stopHitBuffer');
}

/** `calibrateDEggCh0Timing` / `calibrateDEggCh1Timing`: the JSON object the firmware prints. */
export async function calibrateChannelTiming(s: IcebootSession, ch: PmtChannel): Promise<Record<string, unknown>> {
  const line = `calibrateDEggCh${ch}Timing`;
  const out = await s.cmd(line, 10_000);
  try {
    const v: unknown = JSON.parse(out);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw unexpected(s, line, out, 'a JSON object');
}

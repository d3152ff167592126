import type { Ch } from './acquisition.js';
import { ForthError } from './forth.js';
import type { MainboardSim } from './mainboard.js';
import type { WordIO } from './words.js';

export const fail = (word: string) => new ForthError(`${word}: FAIL`);

/** pops a PMT channel (0 = lower, 1 = upper) */
export function popCh(io: WordIO, word: string): Ch {
  const ch = io.stack.pop(word);
  if (ch !== 0 && ch !== 1) throw fail(word);
  return ch;
}

export function needFpga(m: MainboardSim, word: string): void {
  if (!m.fpgaConfigured) throw fail(word);
}

export const flag = (b: boolean) => (b ? 1 : 0);

export function uint32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

import type { MainboardSim } from './mainboard.js';
import type { ForthStack } from './forth.js';
import { CAMERA_WORDS } from './words-camera.js';
import { CORE_WORDS } from './words-core.js';
import { DAQ_WORDS } from './words-daq.js';
import { SLOW_WORDS } from './words-slow.js';
import { TEST_WORDS } from './words-test.js';

/** What a word gets besides the board: the stack, the line's abort signal, the output. */
export interface WordIO {
  stack: ForthStack;
  signal?: AbortSignal;
  print(text: string): void;
  printBytes(bytes: Buffer): void;
}

export type Word = (m: MainboardSim, io: WordIO) => void | Promise<void>;

/** the iceboot vocabulary (reference/iceboot-protocol.md §2.5, §3) */
export const WORDS: ReadonlyMap<string, Word> = new Map<string, Word>([
  ...CORE_WORDS,
  ...SLOW_WORDS,
  ...DAQ_WORDS,
  ...TEST_WORDS,
  ...CAMERA_WORDS,
]);

import path from 'node:path';
import v8 from 'node:v8';
import { REPO_ROOT } from './repo-root.js';

/**
 * The V8 heap icefat's processes run with. V8 lets the old generation grow to up to 4x what a full
 * collection left before it collects again when the heap's limit is 2 GB or more (its default on a
 * machine with more than ~16 GB of memory), and to ~1.6x with this limit. `fat master` keeps ~25 MB
 * live over a two-week FAT, and throws away far more (each change of a D-Egg document reads, parses
 * and writes a text of a few hundred kB): with the default, that garbage made its peak RSS 441-478 MB
 * over the standard FAT (bench/standard-fat.ts), with this limit 376 MB, for the same CPU time.
 *
 * bin/fat.js's first line gives it to every command run as `npx fat` or `bin/fat.js`; whatever runs
 * `node bin/fat.js` passes NODE_HEAP_ARGS: icefat's own processes through `fatNodeArgs` (the master
 * started as a service, the DomNet supervisor and instances, the simulated lab, fat demo's
 * commands), and npm run fat, deploy/icefat-master@.service and the standard-FAT, soak and engine
 * benchmarks.
 */
export const HEAP_MB = 1000;
export const NODE_HEAP_ARGS = [`--max-old-space-size=${HEAP_MB}`];

/** The arguments of `node` that run icefat's `fat` with `args`, with icefat's heap. */
export const fatNodeArgs = (...args: string[]): string[] => [...NODE_HEAP_ARGS, path.join(REPO_ROOT, 'bin/fat.js'), ...args];

/** A warning for a process started without NODE_HEAP_ARGS (its heap limit far above HEAP_MB), or undefined. */
export function heapWarning(): string | undefined {
  // the limit counts the young generation too: some tens of MB above HEAP_MB
  const limitMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
  if (limitMb <= HEAP_MB * 1.5) return undefined;
  return `warning: node was started with a ${Math.round(limitMb)} MB heap limit instead of icefat's ${HEAP_MB} MB, so this process's memory will peak higher; start it as \`npx fat\`, \`bin/fat.js\` or \`node ${NODE_HEAP_ARGS.join(' ')} bin/fat.js\``;
}

// Compiles the `fat` command (src/cli/main.ts and everything it loads) into dist/cli with esbuild:
// one ESM bundle split into chunks, so each command loads only its own code, with source maps so
// stack traces name the .ts line. `npm ci` runs it (prepare); bin/fat.js runs it again whenever
// src/ has changed since (scripts/fingerprint.js), so no one ever runs a stale build.
//
// Safe against concurrent starts (the test suite spawns many `fat` at once): one builder at a
// time (scripts/build-lock.js), chunks have content-hashed names and are never overwritten, and the entry
// and the stamp are renamed into place last. A process still running an older build (a master in
// its second week) keeps finding the chunks it was built with.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeLock } from './build-lock.js';
import { isFresh, sourceFingerprint, TARGETS, writeStamp } from './fingerprint.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'dist/cli';
const LOCK = 'dist/.build-lock';
/** chunks of older builds are removed once this old (a running process may still load them) */
const KEEP_OLD_CHUNKS_MS = 24 * 3600_000;

// Not bundled: native addons (better-sqlite3, zeromq, serialport), packages that find files next
// to their own code at run time (h5wasm's WebAssembly, pino's worker transports, Playwright) and
// ECharts, which only reports and the dashboard's charts load; and Slack's Socket Mode client with
// undici (its WebSocket), which only a master with [slack] socket_mode loads, and whose bundled code
// TypeScript's check of bin/fat.js's import cannot read (class private fields used from static methods).
const EXTERNAL = [
  '@slack/socket-mode',
  'undici',
  'better-sqlite3',
  'zeromq',
  'serialport',
  '@serialport/*',
  'h5wasm',
  'pino',
  'pino-pretty',
  'thread-stream',
  'playwright-core',
  'echarts',
  'pg-native',
  'esbuild',
];

function writeAtomic(file, contents) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/**
 * Builds dist/cli unless it is already current. Returns what happened, for the caller to mention.
 * `force` rebuilds even when the stamp matches.
 */
export async function build({ root = ROOT, force = false } = {}) {
  if (!force && isFresh(root, TARGETS.cli)) return { built: false };
  const release = await takeLock(path.join(root, LOCK));
  try {
    // another process may have built it while this one waited for the lock
    const fingerprint = sourceFingerprint(root, TARGETS.cli);
    if (!force && isFresh(root, TARGETS.cli)) return { built: false };
    const started = Date.now();
    const esbuild = await import('esbuild');
    const out = path.join(root, OUT);
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: 'src/cli/main.ts' },
      outdir: OUT,
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: true,
      sourcesContent: false,
      external: EXTERNAL,
      // CommonJS packages in the bundle call require() for Node's own modules
      banner: { js: "import { createRequire as __icefatRequire } from 'node:module'; const require = __icefatRequire(import.meta.url);" },
      write: false,
      logLevel: 'warning',
    });
    fs.mkdirSync(path.join(out, 'chunks'), { recursive: true });
    const entry = [];
    const current = new Set();
    for (const f of result.outputFiles) {
      current.add(f.path);
      if (path.dirname(f.path) === out) entry.push(f);
      else if (!fs.existsSync(f.path)) writeAtomic(f.path, f.contents);
    }
    // the source map before the entry that names it
    entry.sort((a, b) => Number(a.path.endsWith('.js')) - Number(b.path.endsWith('.js')));
    for (const f of entry) writeAtomic(f.path, f.contents);
    writeStamp(root, TARGETS.cli, fingerprint);
    const chunks = path.join(out, 'chunks');
    for (const name of fs.readdirSync(chunks)) {
      const file = path.join(chunks, name);
      if (!current.has(file) && Date.now() - fs.statSync(file).mtimeMs > KEEP_OLD_CHUNKS_MS) fs.rmSync(file, { force: true });
    }
    return { built: true, ms: Date.now() - started };
  } finally {
    release();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await build({ force: process.argv.includes('--force') });
  process.stdout.write(r.built ? `built dist/cli in ${r.ms} ms\n` : 'dist/cli is up to date\n');
}

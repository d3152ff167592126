// Compiles the `fat` command (src/cli/main.ts and everything it loads) into dist/cli with esbuild:
// one ESM bundle split into chunks, so each command loads only its own code, with source maps so
// stack traces name the .ts line. `npm ci` runs it (prepare); bin/fat.js runs it again whenever
// src/ has changed since (scripts/fingerprint.js), so no one ever runs a stale build.
//
// Safe against concurrent starts (the test suite spawns many `fat` at once): one builder at a
// time (a lock folder), chunks have content-hashed names and are never overwritten, and the entry
// and the stamp are renamed into place last. A process still running an older build (a master in
// its second week) keeps finding the chunks it was built with.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtFingerprint, sourceFingerprint, STAMP } from './fingerprint.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'dist/cli';
const LOCK = 'dist/.build-lock';
/** chunks of older builds are removed once this old (a running process may still load them) */
const KEEP_OLD_CHUNKS_MS = 24 * 3600_000;

// Not bundled: native addons (better-sqlite3, zeromq, serialport), packages that find files next
// to their own code at run time (h5wasm's WebAssembly, pino's worker transports, Playwright) and
// ECharts, which only reports and the dashboard's charts load.
const EXTERNAL = [
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

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Takes the build lock (waiting for another builder, taking over a dead one's); returns its release. */
async function takeLock(root) {
  const lock = path.join(root, LOCK);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const until = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if ((holder && !pidAlive(holder)) || (!holder && age > 10_000)) fs.rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`another build (pid ${holder}) holds ${lock} for over 3 minutes`);
    else await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Builds dist/cli unless it is already current. Returns what happened, for the caller to mention.
 * `force` rebuilds even when the stamp matches.
 */
export async function build({ root = ROOT, force = false } = {}) {
  if (!force && builtFingerprint(root) === sourceFingerprint(root)) return { built: false };
  const release = await takeLock(root);
  try {
    // another process may have built it while this one waited for the lock
    const fingerprint = sourceFingerprint(root);
    if (!force && builtFingerprint(root) === fingerprint) return { built: false };
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
    writeAtomic(path.join(root, STAMP), JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }) + '\n');
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

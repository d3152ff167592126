// Builds the dashboard (src/web/ui) into src/web/ui/dist with Vite (vite.config.ts) and stamps it
// with the fingerprint of its sources, so `fat serve` and the tests rebuild it when it is stale.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeLock } from './build-lock.js';
import { isFresh, sourceFingerprint, TARGETS, writeStamp } from './fingerprint.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildUi({ root = ROOT, force = false } = {}) {
  if (!force && isFresh(root, TARGETS.ui)) return { built: false };
  const release = await takeLock(path.join(root, 'dist/.build-ui-lock'));
  try {
    if (!force && isFresh(root, TARGETS.ui)) return { built: false };
    const started = Date.now();
    const fingerprint = sourceFingerprint(root, TARGETS.ui);
    const { build } = await import('vite');
    await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
    writeStamp(root, TARGETS.ui, fingerprint);
    return { built: true, ms: Date.now() - started };
  } finally {
    release();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildUi({ force: process.argv.includes('--force') });
  process.stdout.write(r.built ? `built the dashboard in ${r.ms} ms\n` : 'the dashboard is up to date\n');
}

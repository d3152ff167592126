#!/usr/bin/env -S node --max-old-space-size=1000
// (the V8 heap of src/util/node-heap.ts: NODE_HEAP_ARGS)
// Runs the compiled CLI (dist/cli, made by `npm ci` through scripts/build.js). When src/ has
// changed since that build, it is rebuilt first (about a second), so an edit is live at the next
// `fat` and nothing ever runs stale code; `fat serve` and `fat demo` do the same for the dashboard.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFresh, TARGETS } from '../scripts/fingerprint.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../..');
const servesDashboard = process.argv.slice(2).some((a) => a === 'serve' || a === 'demo');

async function rebuild(what, script, fn) {
  try {
    const r = await (await import(script))[fn]({ root });
    if (r.built && process.stderr.isTTY) process.stderr.write(`icefat: its sources changed, rebuilt ${what} in ${r.ms} ms\n`);
  } catch (e) {
    process.stderr.write(
      `error: src/ changed since ${what} was built, and the rebuild failed: ${e.message}\n` +
        `The older build is not run. Fix the error, or run \`npm run build\` in ${root} (after \`npm ci\`), then try again.\n`,
    );
    process.exit(1);
  }
}

if (!isFresh(root, TARGETS.cli)) await rebuild('dist/cli', '../scripts/build.js', 'build');
if (servesDashboard && !isFresh(root, TARGETS.ui)) await rebuild('the dashboard', '../scripts/build-ui.js', 'buildUi');
// stack traces name the TypeScript file and line
process.setSourceMapsEnabled(true);
await import('../dist/cli/main.js');

#!/usr/bin/env node
// Runs the compiled CLI (dist/cli, made by `npm ci` through scripts/build.js). When src/ has
// changed since that build, it is rebuilt first (about a second), so an edit is live at the next
// `fat` and nothing ever runs stale code.
import { fileURLToPath } from 'node:url';
import { builtFingerprint, sourceFingerprint } from '../scripts/fingerprint.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (builtFingerprint(root) !== sourceFingerprint(root)) {
  let build;
  try {
    ({ build } = await import('../scripts/build.js'));
    const r = await build({ root });
    if (r.built && process.stderr.isTTY) process.stderr.write(`icefat: src/ changed, rebuilt dist/cli in ${r.ms} ms\n`);
  } catch (e) {
    process.stderr.write(
      `error: the compiled fat in ${root}/dist/cli is older than src/ and could not be rebuilt: ${e.message}\n` +
        `Run \`npm run build\` in ${root} (after \`npm ci\`), then try again.\n`,
    );
    process.exit(1);
  }
}
// stack traces name the TypeScript file and line
process.setSourceMapsEnabled(true);
await import('../dist/cli/main.js');

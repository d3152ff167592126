// What the compiled CLI in dist/ was built from: every source file's path, size and modification
// time (src/ without the dashboard, which Vite builds), the lock file and the build script. Cheap
// enough (a few ms) for bin/fat.js to check on every start, so `fat` never runs a stale build.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SKIP = new Set(['src/web/ui']);
const EXTRA = ['package-lock.json', 'scripts/build.js', 'scripts/fingerprint.js'];

function walk(root, rel, out) {
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIP.has(r)) walk(root, r, out);
    } else if (e.name.endsWith('.ts')) out.push(r);
  }
}

/** The fingerprint of the sources a build of `root` depends on. */
export function sourceFingerprint(root) {
  const files = [];
  walk(root, 'src', files);
  files.sort();
  const h = createHash('sha1');
  for (const f of [...files, ...EXTRA]) {
    const st = fs.statSync(path.join(root, f), { throwIfNoEntry: false });
    h.update(`${f}\0${st ? `${st.size}:${st.mtimeMs}` : '-'}\n`);
  }
  return h.digest('hex');
}

export const STAMP = 'dist/build-stamp.json';

/** The fingerprint the current build was made from, or undefined when there is no build. */
export function builtFingerprint(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8')).fingerprint;
  } catch {
    return undefined;
  }
}

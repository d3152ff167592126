// What a build was made from: every source file's path, size and modification time, for the two
// builds of icefat: the `fat` command (dist/cli, from src/ without the dashboard) and the dashboard
// (src/web/ui/dist, from src/web/ui and the chart code it shares with the reports). Cheap enough
// (a few ms) for bin/fat.js to check on every start, so nothing ever runs a stale build.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const TARGETS = {
  cli: {
    dirs: ['src'],
    skip: ['src/web/ui'],
    ext: /\.ts$/,
    extra: ['package-lock.json', 'scripts/build.js', 'scripts/fingerprint.js'],
    stamp: 'dist/build-stamp.json',
  },
  ui: {
    dirs: ['src/web/ui', 'src/report'],
    skip: ['src/web/ui/dist'],
    ext: /\.(ts|tsx|css|html|svg)$/,
    extra: ['package-lock.json', 'vite.config.ts', 'scripts/build-ui.js', 'scripts/fingerprint.js'],
    stamp: 'src/web/ui/dist/build-stamp.json',
  },
};

function walk(root, rel, target, out) {
  let entries;
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!target.skip.includes(r)) walk(root, r, target, out);
    } else if (target.ext.test(e.name)) out.push(r);
  }
}

/** The fingerprint of the sources a build of `root` depends on. */
export function sourceFingerprint(root, target = TARGETS.cli) {
  const files = [];
  for (const d of target.dirs) walk(root, d, target, files);
  files.sort();
  const h = createHash('sha1');
  for (const f of [...files, ...target.extra]) {
    const st = fs.statSync(path.join(root, f), { throwIfNoEntry: false });
    h.update(`${f}\0${st ? `${st.size}:${st.mtimeMs}` : '-'}\n`);
  }
  return h.digest('hex');
}

/** The fingerprint the current build was made from, or undefined when there is no build. */
export function builtFingerprint(root, target = TARGETS.cli) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, target.stamp), 'utf8')).fingerprint;
  } catch {
    return undefined;
  }
}

export function isFresh(root, target = TARGETS.cli) {
  return builtFingerprint(root, target) === sourceFingerprint(root, target);
}

export function writeStamp(root, target, fingerprint) {
  const file = path.join(root, target.stamp);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }) + '\n');
  fs.renameSync(tmp, file);
}

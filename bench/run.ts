/**
 * Runs every benchmark in bench/ (each a script printing one JSON object) and prints their JSON,
 * one object per line. Exits non-zero when any benchmark fails.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self)
  .sort();

let failed = 0;
for (const file of benches) {
  // each benchmark in its own process, so one's garbage and JIT state cannot slow another
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, file), ...process.argv.slice(2)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const lines = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.trim().startsWith('{'));
  for (const l of lines) console.log(l);
  if (r.status !== 0 || lines.length === 0) {
    failed++;
    if (lines.length === 0)
      console.log(
        JSON.stringify({ benchmark: path.basename(file, '.ts'), error: `exited with ${r.status ?? r.signal} and printed no result` }),
      );
  }
}
process.exit(failed ? 1 : 0);

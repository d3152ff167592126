import fs from 'node:fs';
import path from 'node:path';

/**
 * Gives the DomNet stand-ins of a test home more time to report (station.toml start_timeout_s):
 * each is a fresh `fat` process, and on a loaded test machine (several e2e files at once on two
 * cores) it can need longer than the 15 s a real DomNet gets.
 */
export function allowSlowDomnet(home: string, seconds = 60): void {
  const file = path.join(home, 'station.toml');
  const text = fs.readFileSync(file, 'utf8');
  if (!/^start_timeout_s = \d+$/m.test(text)) throw new Error(`${file} has no start_timeout_s line to raise`);
  fs.writeFileSync(file, text.replace(/^start_timeout_s = \d+$/m, `start_timeout_s = ${seconds}`));
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';
import { writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/** `fat master --dry-run`: the whole schedule on a simulated lab on virtual time, touching nothing of the station. */
describe('fat master --dry-run', () => {
  it('runs ten lab hours in seconds and prints the lab time of every task next to its estimate', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-dry-'));
    const runFile = path.join(home, 'json/run/run_00001.json');
    fs.mkdirSync(path.dirname(runFile), { recursive: true });
    fs.writeFileSync(runFile, JSON.stringify({ comment: 'x', date: '2026-11-27' }));
    const ini = writeSchedule(
      home,
      'dry',
      [
        { name: 'wait_time_0', task: 'wait_time', pause: 3600 },
        { name: 'set_freezer_0', task: 'set_freezer', fcurrent: 20, fdelta: -60 },
        { name: 'manual_input_0', task: 'manual_input', message: 'continue?' },
        { name: 'readout_0', task: 'readout_and_readout' },
      ],
      runFile,
    );
    const t0 = Date.now();
    const r = await fat(home, ['master', ini, '--dry-run'], { FAT_DRY_RUN_BASE: String(TEST_PORTS.dryRun) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(r.stdout).toMatch(/\[0\] wait_time_0 \(wait_time\)\s+done\s+1 h 0 min\s+\(estimate 1 h 0 min\)/);
    expect(r.stdout).toMatch(/\[1\] set_freezer_0 \(set_freezer\)\s+done\s+(9|10|11) h \d+ min/);
    expect(r.stdout).toMatch(/\[2\] manual_input_0 \(manual_input\)\s+done/);
    expect(r.stdout).toMatch(/Total: (10|11|12) h \d+ min of lab time/);
    // the station's own run file is untouched: the dry run ran in a throw-away home
    expect(JSON.parse(fs.readFileSync(runFile, 'utf8'))).toEqual({ comment: 'x', date: '2026-11-27' });
  }, 90_000);
});

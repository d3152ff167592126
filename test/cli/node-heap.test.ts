import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NODE_HEAP_ARGS } from '../../src/util/node-heap.js';

/**
 * icefat's processes run with the V8 heap of src/util/node-heap.ts (the master's peak memory
 * depends on it): `fat master` started through `bin/fat.js` itself (as `npx fat` starts it), through
 * `npm run fat`, the systemd unit and icefat itself (the master as a service, the lab, DomNet) gets
 * it; one started by a bare `node bin/fat.js` says that it did not.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/fat.js');
const WARNING = /warning: node was started with a \d+ MB heap limit instead of icefat's 1000 MB/;

/** stderr of `fat master` on a schedule file that does not exist (it stops at once, after its start) */
async function masterStderr(file: string, args: string[]): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-heap-'));
  try {
    await promisify(execFile)(file, [...args, '--home', home, 'master', path.join(home, 'none.ini')], { encoding: 'utf8' });
    throw new Error('fat master ran a schedule file that does not exist');
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    if (err.stderr === undefined) throw e;
    expect(err.code).not.toBe(0);
    return err.stderr;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('the V8 heap of icefat processes', () => {
  it('is given to a master started as bin/fat.js (npx fat), and missed by one started as a bare node bin/fat.js', async () => {
    expect(await masterStderr(BIN, [])).not.toMatch(WARNING);
    expect(await masterStderr(process.execPath, [...NODE_HEAP_ARGS, BIN])).not.toMatch(WARNING);
    expect(await masterStderr(process.execPath, [BIN])).toMatch(WARNING);
  });

  it('is given by every process icefat starts itself (fatNodeArgs), by npm run fat and by the systemd unit', () => {
    const starters = fs
      .readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && f !== path.join('util', 'node-heap.ts'))
      .filter((f) => fs.readFileSync(path.join(ROOT, 'src', f), 'utf8').includes("'bin/fat.js'"));
    expect(starters).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.fat).toBe(`node ${NODE_HEAP_ARGS.join(' ')} bin/fat.js`);
    const unit = fs.readFileSync(path.join(ROOT, 'deploy/icefat-master@.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/env node ${NODE_HEAP_ARGS.join(' ')} \\$\\{ICEFAT_DIR\\}/bin/fat.js master`, 'm'));
    expect(fs.readFileSync(BIN, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${NODE_HEAP_ARGS.join(' ')}`);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';

/**
 * `fat schedule check` on what no FAT schedule is (issue 13, item 9): a file far larger than any
 * schedule is refused by its size with a clear message, a large but plausible one is checked
 * (parsing is linear), and garbage lines are shown with their control bytes escaped.
 */
describe('fat schedule check on hostile files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-sched-hostile-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, lines: string[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, lines.join('\n'));
    return f;
  };

  it('a file of 200k sections is refused by its size; 30k sections are checked, each duplicate named', async () => {
    const sections = (n: number) => [
      '[constants]',
      'run_file = run.json',
      ...Array.from({ length: n }, (_, i) => `[wait_time_${i}]\ntask = wait_time\npause = 1\n`),
    ];
    const huge = await fat(dir, ['schedule', 'check', write('huge.ini', sections(200_000))]);
    expect(huge.code).toBe(1);
    expect(huge.stdout + huge.stderr).toMatch(/huge\.ini: is \d+\.\d MiB: a schedule is at most 8 MiB/);

    const big = write('big.ini', [...sections(30_000), '[wait_time_7]', 'task = wait_time']);
    const r = await fat(dir, ['schedule', 'check', big, '--json']);
    const out = JSON.parse(r.stdout) as { tasks: unknown[]; problems: Array<{ text: string }> };
    expect(out.tasks).toHaveLength(30_000);
    expect(out.problems.map((p) => p.text)).toContainEqual(
      expect.stringMatching(/\[wait_time_7\]: duplicate section \(first at line \d+\)/),
    );
  });

  it('garbage lines are echoed with their control bytes escaped', async () => {
    const f = write('garbage.ini', ['[constants]', 'run_file = run.json', '[wait_time_0]', 'task = wait_time', '\x1b[2J\x07oops\x00']);
    const r = await fat(dir, ['schedule', 'check', f]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('"\\x1b[2J\\x07oops\\x00" is not a "key = value" line');
    // eslint-disable-next-line no-control-regex -- looking for raw control bytes is the point
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });
});

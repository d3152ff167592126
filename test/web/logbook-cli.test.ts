import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogbookEntry } from '../../src/records/api-types.js';
import { fat } from '../helpers/fat-cli.js';

/** `fat log post|search|show` on the real binary: the author, tags, an attached file, bad input named. */
describe('fat log', () => {
  let dir: string;
  let plot: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-log-cli-'));
    plot = path.join(dir, 'dark rate.svg');
    fs.writeFileSync(plot, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('posts with tags and a file as the operator, and finds it again', async () => {
    const post = await fat(
      dir,
      [
        'log',
        'post',
        'Dark rate of port 5003 high after the door was opened',
        '--tag',
        'darkrate',
        '--tag',
        'door',
        '--attach',
        plot,
        '--json',
      ],
      {
        FAT_OPERATOR: 'erin',
      },
    );
    expect(post.code, post.stderr).toBe(0);
    const e = JSON.parse(post.stdout) as LogbookEntry;
    expect(e).toMatchObject({ author: 'erin', tags: ['darkrate', 'door'], attachments: [{ filename: 'dark rate.svg', size: 41 }] });

    const found = await fat(dir, ['log', 'search', 'door 5003']);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(`#${e.id}`);
    expect(found.stdout).toContain('erin [darkrate, door] (1 file): Dark rate of port 5003');
  }, 120_000);

  it('names what is wrong: a file that is not there', async () => {
    const noFile = await fat(dir, ['log', 'post', 'x', '--attach', path.join(dir, 'missing.png')]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/--attach .*missing\.png: cannot read it/);
  }, 60_000);
});

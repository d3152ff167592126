import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';
import { query } from '../helpers/master.js';

/**
 * `fat import` of a hostile tree (issue 13, item 8): a run file naming a D-Egg file by `../..`, by
 * an absolute path outside the tree, or through a symlink leading out, and a key that is no serial:
 * each is refused by name and never read (its contents reach neither the output nor the store); a
 * file in run/ that is not run_NNNNN.json is reported as skipped.
 */
describe('fat import of a tree that points outside itself', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-import-hostile-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses every path outside the tree by name, reads none of them, and names the odd file', async () => {
    const outside = path.join(dir, 'outside');
    const root = path.join(dir, 'tree');
    const home = path.join(dir, 'home');
    fs.mkdirSync(outside);
    fs.mkdirSync(path.join(root, 'run'), { recursive: true });
    fs.mkdirSync(path.join(root, 'run_00001'));
    const secret = { token: 'xoxb-SECRET-0000', UpperPmt: { HV1e7Gain: 1400 }, LowerPmt: { HV1e7Gain: 1400 } };
    fs.writeFileSync(path.join(outside, 'secret.json'), JSON.stringify(secret));
    fs.writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:SECRET-LINE:/root:/bin/bash\n');
    fs.symlinkSync(path.join(outside, 'secret.json'), path.join(root, 'run_00001', 'DEgg2021-3-003.json'));
    fs.writeFileSync(
      path.join(root, 'run', 'run_00001.json'),
      JSON.stringify({
        comment: 'hostile',
        date: '2023-02-14',
        'DEgg2021-3-001': '../../../../../../../../' + path.join(outside, 'passwd'),
        'DEgg2021-3-002': path.join(outside, 'secret.json'),
        'DEgg2021-3-003': '/anywhere/DEgg2021-3-003.json',
        '../../outside/secret': path.join(outside, 'secret.json'),
      }),
    );
    fs.writeFileSync(path.join(root, 'run', 'run_abc.json'), '{}');

    const r = await fat(home, ['import', root, '--json']);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).not.toContain('SECRET');
    const report = JSON.parse(r.stdout) as { problems: Array<{ file: string; message: string }> };
    const messages = report.problems.map((p) => `${path.basename(p.file)}: ${p.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^run_abc\.json: is not a run file \(run_NNNNN\.json\): skipped$/));
    for (const serial of ['DEgg2021-3-001', 'DEgg2021-3-002', 'DEgg2021-3-003'])
      expect(messages, serial).toContainEqual(expect.stringMatching(new RegExp(`^run_00001\\.json: ${serial}: .*: not read$`)));
    expect(messages).toContainEqual(expect.stringMatching(/is not a D-Egg serial: skipped$/));
    // nothing of the outside files is in the store
    const stored = query<{ raw: string }>(home, 'select raw from imported_entries');
    expect(stored.map((x) => x.raw).join('\n')).not.toContain('SECRET');
    expect(query(home, 'select count(*) n from results where value = 1400')).toEqual([{ n: 0 }]);
  });
});

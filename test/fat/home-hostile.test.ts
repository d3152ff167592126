import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';

/**
 * A wrong home folder, store or base port (issue 13, item 10): each is an error that names the
 * folder, file or instrument, comes back at once, and writes nothing.
 */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-home-'));

describe('hostile homes, stores and ports', () => {
  it('--home /proc/self is refused at once, naming the folder it cannot make', async () => {
    const r = await fat('/proc/self', ['status'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot make the folder /proc/self/json');
  });

  it('--home on a file says a file is in the way', async () => {
    const file = path.join(tmp(), 'afile');
    fs.writeFileSync(file, 'x');
    const r = await fat(file, ['status'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot make the folder ${file}: a file of that name is in the way`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('a store URL pointing at a file that is no database names the file and leaves it alone', async () => {
    const home = tmp();
    expect((await fat(home, ['status'], {}, 20_000)).code).toBe(0);
    const victim = path.join(tmp(), 'passwd');
    fs.writeFileSync(victim, 'root:x:0:0:root:/root:/bin/bash\n');
    const rel = path.relative(home, victim);
    const station = path.join(home, 'station.toml');
    fs.writeFileSync(station, fs.readFileSync(station, 'utf8').replace(/^url = .*$/m, `url = "sqlite:${rel}"`));
    const r = await fat(home, ['status'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot open the SQLite store ${victim}: file is not a database`);
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(fs.readdirSync(path.dirname(victim))).toEqual(['passwd']);
  });

  it('fat sim start --base-port 65000 names the instrument past 65535 and writes no station file', async () => {
    const home = path.join(tmp(), 'fresh');
    const r = await fat(home, ['sim', 'start', '--base-port', '65000'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("base port 65000: a simulated lab listens on 65000..66234 (its function generator's Prologix adapter");
    expect(r.stderr).toContain('choose a base port from 1 to 64301');
    expect(fs.existsSync(path.join(home, 'station.toml'))).toBe(false);
  });
});

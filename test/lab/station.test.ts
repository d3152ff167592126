import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStation, modulePorts, wirePairOf } from '../../src/lab/station.js';
import { simStationToml } from '../../src/lab/station-defaults.js';

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-station-'));
  const f = path.join(dir, 'station.toml');
  fs.writeFileSync(f, text);
  return f;
}

describe('station file', () => {
  it('the default simulated station names 16 D-Egg ports on 4 wire pairs', () => {
    const st = loadStation(tmpFile(simStationToml({ seed: 3, basePort: 7000, timeScale: 10 })));
    expect(modulePorts(st)).toEqual(Array.from({ length: 16 }, (_, i) => 7000 + i));
    expect(wirePairOf(st, 7006)).toEqual({ wirePair: 1, address: 2, icmPort: 8004 });
    expect(st.clock.time_scale).toBe(10);
    expect(st.sim).toEqual({ seed: 3, base_port: 7000 });
  });

  it('a TOML syntax error names the file and the line', () => {
    const f = tmpFile('name = "x"\n[clock\ntime_scale = 1\n');
    expect(() => loadStation(f)).toThrow(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 2`));
  });

  it('a wrong field names the field and what was expected', () => {
    const good = simStationToml({ seed: 1, basePort: 5000, timeScale: 1 });
    const f = tmpFile(good.replace(/address = "prologix:[^"]*"/, 'address = "10.0.0.1:1234"'));
    expect(() => loadStation(f)).toThrow(/function_generator\.address: .*tcp:\/\/host:port/);
  });

  it('Slack buttons need their operators, named by Slack id', () => {
    const base = simStationToml({ seed: 1, basePort: 5000, timeScale: 1 }) + '\n[slack]\nchannel = "C1"\nsocket_mode = true\n';
    expect(() => loadStation(tmpFile(base))).toThrow(
      /slack\.socket_mode: socket_mode = true needs operators_group = "S\.\.\." or operators/,
    );
    expect(() => loadStation(tmpFile(base + 'operators = ["alice"]\n'))).toThrow(/slack\.operators\.0: a Slack user id like U0123ABCD/);
    expect(() => loadStation(tmpFile(base + 'operators_group = "@fat-shifters"\n'))).toThrow(
      /slack\.operators_group: a Slack user group id/,
    );
    expect(loadStation(tmpFile(base + 'operators_group = "S0FAT"\noperators = ["U1EXPERT"]\n')).slack).toMatchObject({
      socket_mode: true,
      operators_group: 'S0FAT',
      operators: ['U1EXPERT'],
    });
  });

  it('an unknown key is refused rather than silently ignored', () => {
    const f = tmpFile(simStationToml({ seed: 1, basePort: 5000, timeScale: 1 }) + '\ntime_scael = 3\n');
    expect(() => loadStation(f)).toThrow(/time_scael|Unrecognized key/);
  });

  it('a missing station file says how to make one', () => {
    expect(() => loadStation('/nonexistent/station.toml')).toThrow(/fat sim start/);
  });
});

describe('station file limits (issue 13, item 10)', () => {
  const good = simStationToml({ seed: 1, basePort: 5000, timeScale: 1 });

  it('a port beyond 65535 is refused, naming the field', () => {
    const f = tmpFile(good.replace(/address = "tcp:\/\/127\.0\.0\.1:5016"/, 'address = "tcp://127.0.0.1:99999"'));
    expect(() => loadStation(f)).toThrow(/tabletop\.address: the port must be from 1 to 65535/);
    const icm = tmpFile(good.replace(/icm_address = "tcp:\/\/127\.0\.0\.1:6016"/, 'icm_address = "tcp://127.0.0.1:70000"'));
    expect(() => loadStation(icm)).toThrow(/tabletop\.icm_address: the port must be from 1 to 65535/);
  });

  it('a 5 MB station name is refused by the file size; a long or multi-line name by the schema', () => {
    const huge = tmpFile(good.replace(/^name = ".*"$/m, `name = "${'x'.repeat(5_000_000)}"`));
    expect(() => loadStation(huge)).toThrow(/is 4\.8 MiB: a station file is a few KiB/);
    const long = tmpFile(good.replace(/^name = ".*"$/m, `name = "${'x'.repeat(65)}"`));
    expect(() => loadStation(long)).toThrow(/name: .*64/);
    const lines = tmpFile(good.replace(/^name = ".*"$/m, 'name = "lab\\nfake alert"'));
    expect(() => loadStation(lines)).toThrow(/name: printable characters only/);
  });
});

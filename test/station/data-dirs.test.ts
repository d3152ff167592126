import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newDataDir } from '../../src/station/data-dirs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('raw data folders <data>/<type>/YYYYMMDD_NN', () => {
  const day = Date.UTC(2026, 11, 10, 23, 30);

  it('takes the first free number of the lab day', () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-data-dirs-'));
    dirs.push(data);
    expect(newDataDir(data, 'online_monitoring', day)).toBe(path.join(data, 'online_monitoring', '20261210_00'));
    fs.rmSync(path.join(data, 'online_monitoring', '20261210_00'), { recursive: true });
    fs.mkdirSync(path.join(data, 'online_monitoring', '20261210_01'));
    expect(newDataDir(data, 'online_monitoring', day)).toBe(path.join(data, 'online_monitoring', '20261210_00'));
    expect(newDataDir(data, 'online_monitoring', day)).toBe(path.join(data, 'online_monitoring', '20261210_02'));
  });

  it('goes on past 99 in a busy lab day, as the original numbering (%02d) does, instead of stopping the run', () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-data-dirs-'));
    dirs.push(data);
    for (let n = 0; n < 100; n++) newDataDir(data, 'online_monitoring', day);
    expect(newDataDir(data, 'online_monitoring', day)).toBe(path.join(data, 'online_monitoring', '20261210_100'));
    expect(fs.readdirSync(path.join(data, 'online_monitoring'))).toHaveLength(101);
  });
});

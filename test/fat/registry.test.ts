import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findByIcmId, loadRegistry, registryToml, type RegistryEntry } from '../../src/station/registry.js';

const entry = (serial: string, icm: string): RegistryEntry => ({
  serial,
  icm_id: icm,
  icm: '0086',
  box: 3,
  mainboard: '4.1-019',
  flasher: 'REV2-017',
  camera: 'R214',
  upper_glass: 'u',
  lower_glass: 'l',
  penetrator: 'p',
  sealing_date: '2026-01-01',
  arrival_date: '2026-02-01',
  electrical_inspection: 'Pass',
  lower_pmt: { serial: 'SQ0300', hvb: 'h0' },
  upper_pmt: { serial: 'SQ0301', hvb: 'h1' },
});

describe('module registry', () => {
  it('round-trips through TOML and finds modules by ICM ID in any case', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-reg-'));
    const f = path.join(dir, 'modules.toml');
    fs.writeFileSync(f, registryToml([entry('DEgg2026-1-001', 'a400000f18a1722d'), entry('DEgg2026-1-002', 'a400000f18a1722e')]));
    const reg = loadRegistry(f);
    expect(findByIcmId(reg, 'A400000F18A1722E')?.serial).toBe('DEgg2026-1-002');
    expect(findByIcmId(reg, '0000000000000000')).toBeUndefined();
  });

  it('refuses the same ICM ID on two modules, naming both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-reg-'));
    const f = path.join(dir, 'modules.toml');
    fs.writeFileSync(f, registryToml([entry('A', 'a400000f18a1722d'), entry('B', 'a400000f18a1722d')]));
    expect(() => loadRegistry(f)).toThrow(/listed for both A and B/);
  });

  it('a malformed ICM ID names the entry and field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-reg-'));
    const f = path.join(dir, 'modules.toml');
    fs.writeFileSync(f, registryToml([entry('A', 'xyz')]));
    expect(() => loadRegistry(f)).toThrow(/degg\.0\.icm_id: 16 hexadecimal digits/);
  });
});

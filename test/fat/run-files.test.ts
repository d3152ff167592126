import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addMeasurementEntry, maxRunNumberOnDisk, readJsonFile, runFilePath, writeRunJson } from '../../src/fat/run-files.js';

describe('original-layout JSON files', () => {
  it('names run files with five digits and finds the highest run number', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-json-'));
    expect(maxRunNumberOnDisk(dir)).toBe(0);
    writeRunJson(runFilePath(dir, 7), { 'DEgg2026-1-001': '/x/DEgg2026-1-001.json' }, 'batch', '2026-11-27');
    writeRunJson(runFilePath(dir, 12), {}, 'batch', '2026-11-27');
    expect(path.basename(runFilePath(dir, 12))).toBe('run_00012.json');
    expect(maxRunNumberOnDisk(dir)).toBe(12);
    expect(readJsonFile(runFilePath(dir, 7))).toEqual({ 'DEgg2026-1-001': '/x/DEgg2026-1-001.json', comment: 'batch', date: '2026-11-27' });
  });

  it('adds measurement entries with the next free counter and never damages a corrupt file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-json-'));
    const f = path.join(dir, 'DEgg.json');
    fs.writeFileSync(f, JSON.stringify({ LowerPmt: {}, UpperPmt: {} }));
    expect(addMeasurementEntry(f, 'LaserVisibilityMeasurement', { Folder: 'a' }, 'LowerPmt')).toBe('LaserVisibilityMeasurement_00');
    expect(addMeasurementEntry(f, 'LaserVisibilityMeasurement', { Folder: 'b' }, 'LowerPmt')).toBe('LaserVisibilityMeasurement_01');
    expect((readJsonFile(f).LowerPmt as Record<string, unknown>).LaserVisibilityMeasurement_01).toEqual({ Folder: 'b' });

    fs.writeFileSync(f, '{"LowerPmt": {');
    expect(() => addMeasurementEntry(f, 'X', {}, 'LowerPmt')).toThrow(/not valid JSON.*left untouched/);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"LowerPmt": {');
  });
});

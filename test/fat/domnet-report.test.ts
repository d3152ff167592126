import { describe, expect, it } from 'vitest';
import { parseDomnetReport } from '../../src/fat/domnet-report.js';

describe('DomNet start-up report', () => {
  it('accepts the field hub and four in-ice ICMs', () => {
    const r = parseDomnetReport(['DomNet 1.4 starting on /dev/ttyUSB0', 'Probing wire pair', 'ICMs detected at address: 0 1 2 3 8 '], 4);
    expect(r).toEqual({ ok: true, addresses: [0, 1, 2, 3, 8] });
  });
  it('fails without the field hub ICM, naming it', () => {
    expect(parseDomnetReport(['a', 'b', 'ICMs detected at address: 0 1 2 3 '], 4).reason).toMatch(/field hub ICM \(address 8\)/);
  });
  it('fails when an in-ice ICM is missing, naming which were seen', () => {
    expect(parseDomnetReport(['ICMs detected at address: 0 1 3 8 '], 4).reason).toMatch(/3 in-ice ICMs detected \(0 1 3\), expected 4/);
  });
  it('fails when there is no report line', () => {
    expect(parseDomnetReport(['Failed to open /dev/ttyUSB1'], 4).ok).toBe(false);
  });
});

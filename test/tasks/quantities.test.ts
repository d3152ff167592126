import { describe, expect, it } from 'vitest';
import { DEFAULT_GOALPOSTS, loadGoalposts } from '../../src/records/goalposts-file.js';
import { catalogue, kindsOf } from '../../src/tasks/catalogue.js';
import { HEADLINES } from '../../src/views/headlines.js';

/**
 * Each kind declares the quantities it records, by goalpost name; the goalposts file gives them
 * units, descriptions and limits. The two must agree, so that a result is never left unjudged.
 */
describe('the quantities the task kinds declare', () => {
  const goalposts = loadGoalposts(DEFAULT_GOALPOSTS);
  const kinds = kindsOf(catalogue());

  it('every declared quantity has a goalpost', () => {
    const missing = kinds.flatMap((k) => (k.quantities ?? []).filter((q) => !goalposts.entries.has(q)).map((q) => `${k.name}: ${q}`));
    expect(missing).toEqual([]);
  });

  it('every goalpost is a quantity some kind records, or one only the original analysis files (fat import) or a check have', () => {
    const declared = new Set(kinds.flatMap((k) => k.quantities ?? []));
    const elsewhere = {
      'visibility.mean_pe': 'fat check visibility',
      'camera.dark_noise': 'fat import (camera analysis files)',
      'gain.fit_norm': 'fat import',
      'linearity.current_ratio_10ma': 'fat import',
      'double_pulse.peak_to_valley1': 'fat import',
      'double_pulse.peak_to_valley2': 'fat import',
      'timing.tts_chi2': 'fat import',
      'monitor.high_dark_rates': 'fat import',
    };
    const unclaimed = [...goalposts.entries.keys()].filter((q) => !declared.has(q) && !(q in elsewhere));
    expect(unclaimed).toEqual([]);
    for (const q of Object.keys(elsewhere)) expect(goalposts.entries.has(q), q).toBe(true);
  });

  it('the measurement kinds declare what they record; housekeeping records nothing', () => {
    const byName = new Map(kinds.map((k) => [k.name, k]));
    expect(byName.get('measure_gain')?.quantities).toContain('gain.hv1e7');
    expect(byName.get('measure_scaler')?.quantities).toEqual(
      expect.arrayContaining(['darkrate.cold', 'darkrate_adc.warm', 'darkrate.alt_threshold']),
    );
    for (const k of kinds.filter((x) => x.housekeeping && x.name !== 'bootmon')) expect(k.quantities, k.name).toBeUndefined();
  });

  it('the headline quantities (dashboard tile, run summary) are declared quantities, in their goalposts units', () => {
    const declared = new Set(kinds.flatMap((k) => k.quantities ?? []));
    for (const h of HEADLINES)
      for (const name of h.names) {
        expect(declared.has(name), `${h.key}: ${name}`).toBe(true);
        expect(goalposts.entries.get(name)?.units, `${h.key}: ${name}`).toBe(h.units);
      }
  });
});

import { isObject, readNumber, type Json, type ReadProblem } from './import-json.js';
import { GAIN_QUANTITY } from '../tasks/gain-acquire.js';

/**
 * The quantities a D-Egg JSON file of the original records (original-system.md §4.3, §6), as
 * icefat results: a pure mapping, nothing is read from disk here.
 *   <Pmt>.HV1e7Gain                      gain.hv1e7 (V); -1 means "not analysed yet"
 *   <Pmt>.SPEPeakHeight                  gain.spe_peak_height (written in V, a result in mV)
 *   <Pmt>.GainMeasurement_NN             gain.fit_exponent, gain.fit_norm (G = A·V^k), baseline.mean (ADC at DAC 30000, §6.3)
 *   <Pmt>.DarkrateScalerMeasurement_NN   baseline.mean (re-measured at DAC 30000 before the scalers, §6.4)
 *   <Pmt>.DarkrateTemperature_NN         monitor.pressure (hPa), slowmon
 *   <Pmt>.AdvancedMonitoring_NN          monitor.pressure from each Pressure<rep>, constant_monitor
 * Every other entry records settings and a data folder, no quantity: it is kept verbatim only.
 */
export interface Quantity {
  name: string;
  /** 'LowerPmt' | 'UpperPmt', null for the module */
  pmt: string | null;
  value: number;
  units: string;
  /** where in the file: 'UpperPmt.GainMeasurement_01', 'UpperPmt.HV1e7Gain' */
  entry: string;
  detail: Json;
  /** false: record as info even where the goalposts have limits (the original judged it otherwise) */
  judge?: boolean;
}

export const PMTS = ['LowerPmt', 'UpperPmt'] as const;
const ENTRY = /^(.+)_(\d+)$/;

/** A measurement entry: a `Name_NN` key holding an object. */
export const isEntry = (key: string, value: unknown): value is Json => ENTRY.test(key) && isObject(value);

/** The measurement entries of one level of a file. */
export function entriesOf(doc: Json): { key: string; name: string; value: Json }[] {
  return Object.entries(doc)
    .filter((e): e is [string, Json] => isEntry(e[0], e[1]))
    .map(([key, value]) => ({ key, name: ENTRY.exec(key)![1], value }));
}

export function deggQuantities(doc: Json): { quantities: Quantity[]; problems: Omit<ReadProblem, 'file'>[] } {
  const quantities: Quantity[] = [];
  const problems: Omit<ReadProblem, 'file'>[] = [];
  const pressures = new Set<string>();
  for (const pmt of PMTS) {
    const sec = doc[pmt];
    if (!isObject(sec)) continue;
    const at = `${pmt}.`;
    const hv = readNumber(sec, 'HV1e7Gain', at, problems, GAIN_QUANTITY.hv1e7);
    if (hv !== undefined && hv > 0)
      quantities.push({ name: GAIN_QUANTITY.hv1e7, pmt, value: hv, units: 'V', entry: `${at}HV1e7Gain`, detail: {} });
    const spe = readNumber(sec, 'SPEPeakHeight', at, problems, GAIN_QUANTITY.speHeight);
    if (spe !== undefined && spe > 0)
      quantities.push({
        name: GAIN_QUANTITY.speHeight,
        pmt,
        value: spe * 1e3,
        units: 'mV',
        entry: `${at}SPEPeakHeight`,
        detail: { volts: spe },
      });
    for (const e of entriesOf(sec)) {
      const where = `${at}${e.key}.`;
      const add = (name: string, key: string, units: string, detail: Json = {}) => {
        const v = readNumber(e.value, key, where, problems, name);
        if (v !== undefined) quantities.push({ name, pmt, value: v, units, entry: `${at}${e.key}`, detail: { key, ...detail } });
      };
      if (e.name === 'GainMeasurement') {
        add(GAIN_QUANTITY.fitExponent, 'GainFitExp', '');
        add('gain.fit_norm', 'GainFitNorm', '');
        add('baseline.mean', 'Baseline', 'ADC', { dac: 30000 });
      } else if (e.name === 'DarkrateScalerMeasurement') {
        add('baseline.mean', 'Baseline', 'ADC', { dac: 30000 });
      } else if (e.name === 'DarkrateTemperature' || e.name === 'AdvancedMonitoring') {
        // the module's pressure, written into both PMTs' entries: taken once per entry and repetition
        for (const key of Object.keys(e.value).filter((k) => /^Pressure\d*$/.test(k))) {
          const once = `${e.key}.${key}`;
          if (pressures.has(once)) continue;
          pressures.add(once);
          const v = readNumber(e.value, key, where, problems, 'monitor.pressure');
          if (v !== undefined)
            quantities.push({ name: 'monitor.pressure', pmt: null, value: v, units: 'hPa', entry: `${at}${e.key}`, detail: { key } });
        }
      }
    }
  }
  return { quantities, problems };
}

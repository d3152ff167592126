import { GAIN_QUANTITY } from '../tasks/gain-acquire.js';
import { DARK_RATE_QUANTITIES } from '../tasks/scaler-windows.js';

/**
 * The quantities a D-Egg is shown by at a glance, declared once from the names the task kinds
 * declare (TaskKind.quantities): the dashboard's module tile, the run summary's side-by-side
 * columns and its batch plots all read this list. A headline may stand for several names (the dark
 * rate is judged in one of six bands by trigger and temperature); per PMT it shows the latest row
 * of any of them.
 */
import type { HeadlineValues } from '../records/api-types.js';

export interface Headline {
  key: 'hv1e7' | 'darkRate' | 'speHeight';
  title: string;
  units: string;
  names: readonly string[];
}

export const HEADLINES: readonly Headline[] = [
  { key: 'hv1e7', title: 'HV at 1e7', units: 'V', names: [GAIN_QUANTITY.hv1e7] },
  { key: 'darkRate', title: 'dark rate', units: 'Hz', names: DARK_RATE_QUANTITIES },
  { key: 'speHeight', title: 'SPE height', units: 'mV', names: [GAIN_QUANTITY.speHeight] },
];

export function headline(key: Headline['key']): Headline {
  return HEADLINES.find((h) => h.key === key)!;
}

export const isHeadline = (h: Headline, name: string) => h.names.includes(name);

/** Per headline, the value of each PMT's latest row (rows in id order); a PMT never measured is absent. */
export function latestHeadlines(rows: ReadonlyArray<{ pmt: string | null; name: string; value: number | null }>): HeadlineValues[] {
  return HEADLINES.map((h) => {
    const perPmt: Partial<Record<string, number>> = {};
    for (const r of rows) if (r.value !== null && r.pmt && isHeadline(h, r.name)) perPmt[r.pmt] = r.value;
    return { key: h.key, title: h.title, units: h.units, perPmt };
  });
}

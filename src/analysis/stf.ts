/**
 * icefat's own quick self-test of a D-Egg (in place of the original's external "Simple Test
 * Framework" DEgg-FAT set, original-system.md §6.11): each item is a reading judged against a
 * limit. The limits come from the original where it had them (§6.1 pressure window, §6.12 supply
 * current limits, §6.2 baseline at DAC 30000) and are documented here where icefat sets them.
 */
export type StfStatus = 'pass' | 'fail' | 'skipped';

export interface StfItem {
  /** e.g. "communication", "pressure", "hv_ch1" */
  item: string;
  status: StfStatus;
  /** what was read, for people: "512.3 hPa" */
  reading: string;
  value: number | null;
  /** the limit in words: "300-600 hPa" */
  limit: string;
}

export const STF_LIMITS = {
  pressureHpa: [300, 600] as const,
  /** supply rails: slow-ADC channels of the current and voltage monitors, nominal volts, current limit (bolt.py) */
  rails: [
    { name: '1V1', currentCh: 0, voltageCh: 12, nominalV: 1.1, maxMa: 1000 },
    { name: '1V35', currentCh: 1, voltageCh: 13, nominalV: 1.35, maxMa: 400 },
    { name: '1V8', currentCh: 2, voltageCh: 5, nominalV: 1.8, maxMa: 400 },
    { name: '2V5', currentCh: 3, voltageCh: 14, nominalV: 2.5, maxMa: 500 },
    { name: '3V3', currentCh: 4, voltageCh: 15, nominalV: 3.3, maxMa: 300 },
  ],
  /** a rail voltage may deviate this fraction from nominal (icefat's choice: regulators hold a few %) */
  railVoltageTolerance: 0.05,
  /**
   * the mainboard sensor against the freezer air: it lags the air by about half an hour and runs a
   * few degrees warm, so while the freezer cools it reads up to ~15 °C above the air (icefat's window)
   */
  temperatureBelowAirC: 10,
  temperatureAboveAirC: 20,
  /** without an air reading: any temperature a FAT freezer can reach */
  temperatureAbsoluteC: [-60, 45] as const,
  /** HV readback within max(this many volts, hvRelTolerance of the set point) of the set point */
  hvTolVolts: 15,
  hvRelTolerance: 0.01,
  baselineAdc: [7900, 8150] as const,
  baselineDac: 30000,
  /** a PMT with HV on counts hundreds of Hz of dark noise at 0.25 PE even at -40 °C; baseline noise alone gives tens */
  minDarkRateHz: 100,
} as const;

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

export function rangeItem(item: string, value: number, lo: number, hi: number, unit: string, digits = 1): StfItem {
  const ok = Number.isFinite(value) && value >= lo && value <= hi;
  return { item, status: ok ? 'pass' : 'fail', reading: `${fmt(value, digits)} ${unit}`, value, limit: `${lo} to ${hi} ${unit}` };
}

export function communicationItem(r: {
  boardType: number;
  fpgaVersion: number;
  expectedFpga: number;
  softwareVersion: number;
  expectedSoftware: number;
  ids: Record<string, string>;
  missing: string[];
}): StfItem {
  const problems: string[] = [];
  if (r.boardType !== 113) problems.push(`board type ${r.boardType}, not a D-Egg (113)`);
  if (r.fpgaVersion !== r.expectedFpga) problems.push(`FPGA version ${r.fpgaVersion}, expected ${r.expectedFpga}`);
  if (r.softwareVersion !== r.expectedSoftware) problems.push(`iceboot version ${r.softwareVersion}, expected ${r.expectedSoftware}`);
  for (const w of r.missing) problems.push(`no answer to ${w}`);
  const reading = `FPGA ${r.fpgaVersion}, iceboot ${r.softwareVersion}, ${Object.entries(r.ids)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`;
  return {
    item: 'communication',
    status: problems.length ? 'fail' : 'pass',
    reading: problems.length ? `${problems.join('; ')} (${reading})` : reading,
    value: r.fpgaVersion,
    limit: `board 113, FPGA ${r.expectedFpga}, iceboot ${r.expectedSoftware}, identity words answer`,
  };
}

export function temperatureItem(mainboardC: number, airC: number | null): StfItem {
  const L = STF_LIMITS;
  const [lo, hi] = airC === null ? L.temperatureAbsoluteC : [airC - L.temperatureBelowAirC, airC + L.temperatureAboveAirC];
  const it = rangeItem('temperature', mainboardC, Math.round(lo * 10) / 10, Math.round(hi * 10) / 10, '°C');
  return { ...it, reading: airC === null ? `${it.reading} (no freezer air reading)` : `${it.reading} (freezer air ${airC.toFixed(1)} °C)` };
}

/** both supply items from the five rail currents (mA) and voltages (V), in STF_LIMITS.rails order */
export function supplyItems(currentsMa: readonly number[], voltagesV: readonly number[]): [StfItem, StfItem] {
  const rails = STF_LIMITS.rails;
  const tol = STF_LIMITS.railVoltageTolerance;
  const badV = rails.filter((r, i) => !(Math.abs(voltagesV[i] - r.nominalV) <= tol * r.nominalV));
  const badI = rails.filter((r, i) => !(currentsMa[i] >= 0 && currentsMa[i] <= r.maxMa));
  const vText = rails.map((r, i) => `${r.name} ${fmt(voltagesV[i], 3)} V`).join(', ');
  const iText = rails.map((r, i) => `${r.name} ${fmt(currentsMa[i], 0)} mA`).join(', ');
  return [
    {
      item: 'supply_voltages',
      status: badV.length ? 'fail' : 'pass',
      reading: badV.length ? `out of range: ${badV.map((r) => r.name).join(', ')} (${vText})` : vText,
      value: badV.length,
      limit: `nominal ± ${tol * 100}%`,
    },
    {
      item: 'supply_currents',
      status: badI.length ? 'fail' : 'pass',
      reading: badI.length ? `over limit: ${badI.map((r) => r.name).join(', ')} (${iText})` : iText,
      value: badI.length,
      limit: rails.map((r) => `${r.name} ≤ ${r.maxMa} mA`).join(', '),
    },
  ];
}

export function hvTolerance(setVolts: number): number {
  return Math.max(STF_LIMITS.hvTolVolts, STF_LIMITS.hvRelTolerance * setVolts);
}

/** HV item of one channel: the mean of the readbacks after the ramp against the set point */
export function hvItem(ch: 0 | 1, setVolts: number, readbacks: readonly number[]): StfItem {
  const mean = readbacks.reduce((a, b) => a + b, 0) / Math.max(1, readbacks.length);
  const tol = hvTolerance(setVolts);
  const ok = readbacks.length > 0 && Math.abs(mean - setVolts) <= tol;
  return {
    item: `hv_ch${ch}`,
    status: ok ? 'pass' : 'fail',
    reading: `readback ${fmt(mean, 1)} V at set point ${setVolts} V`,
    value: mean,
    limit: `${setVolts} ± ${fmt(tol, 0)} V`,
  };
}

export function skipped(item: string, why: string): StfItem {
  return { item, status: 'skipped', reading: why, value: null, limit: '' };
}

export function swTriggerItem(ch: 0 | 1, wanted: number, got: number, problems: readonly string[]): StfItem {
  const ok = got === wanted && !problems.length;
  return {
    item: `sw_trigger_ch${ch}`,
    status: ok ? 'pass' : 'fail',
    reading: `${got}/${wanted} waveforms${problems.length ? `: ${problems.join('; ')}` : ''}`,
    value: got,
    limit: `${wanted} waveforms of the right channel and length`,
  };
}

export function darkRateItem(ch: 0 | 1, rateHz: number): StfItem {
  const ok = Number.isFinite(rateHz) && rateHz >= STF_LIMITS.minDarkRateHz;
  return {
    item: `dark_rate_ch${ch}`,
    status: ok ? 'pass' : 'fail',
    reading: `${fmt(rateHz, 0)} Hz`,
    value: rateHz,
    limit: `≥ ${STF_LIMITS.minDarkRateHz} Hz`,
  };
}

export const failedItems = (items: readonly StfItem[]) => items.filter((i) => i.status === 'fail');

export interface StfModuleResult {
  port: number;
  serial: string;
  items: StfItem[];
}

export interface StfSummary {
  modules: number;
  passed: number;
  failed: number;
  /** items counted over all modules */
  items: { pass: number; fail: number; skipped: number };
  failing: Array<{ port: number; serial: string; items: Array<{ item: string; reading: string; limit: string }> }>;
}

/** the stf_ana summary: pass/fail counts and the failing items by module */
export function summariseStf(results: readonly StfModuleResult[]): StfSummary {
  const items = { pass: 0, fail: 0, skipped: 0 };
  const failing: StfSummary['failing'] = [];
  for (const r of results) {
    for (const i of r.items) items[i.status]++;
    const bad = failedItems(r.items);
    if (bad.length)
      failing.push({ port: r.port, serial: r.serial, items: bad.map(({ item, reading, limit }) => ({ item, reading, limit })) });
  }
  failing.sort((a, b) => a.port - b.port);
  return { modules: results.length, passed: results.length - failing.length, failed: failing.length, items, failing };
}

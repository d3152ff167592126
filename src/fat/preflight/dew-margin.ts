import { dewOrFrostPointC } from '../../analysis/dew-point.js';
import type { CheckItem } from '../../records/check-results.js';

/**
 * The dew-point margin before the freezer cools: the humidity and temperature each humidity sensor
 * reads now (from the peripherals check) against the schedule's coldest set point. When the air's
 * dew (frost) point lies above that set point, the water the air holds now will freeze out as the
 * freezer reaches it: frost is likely, a warning that names the sensor and the numbers. The damper
 * sensor decides.
 */
export interface DewMargin {
  item: CheckItem;
  frostLikely: boolean;
}

interface HumidityReading {
  relativeHumidityPct: number;
  temperatureC: number;
}

const isReading = (r: unknown): r is HumidityReading =>
  typeof r === 'object' &&
  r !== null &&
  typeof (r as HumidityReading).relativeHumidityPct === 'number' &&
  typeof (r as HumidityReading).temperatureC === 'number';

export function dewMargin(peripherals: readonly CheckItem[], coldestSetPointC: number | undefined): DewMargin {
  const sensors = peripherals
    .filter((i) => i.subject.startsWith('humidity sensor') && i.verdict === 'pass' && isReading(i.reading))
    .map((i) => {
      const r = i.reading as HumidityReading;
      return { subject: i.subject, ...r, dewPointC: dewOrFrostPointC(r.temperatureC, r.relativeHumidityPct) };
    });
  const base = { check: 'dew-point', subject: 'dew-point margin', tolerance: 'dew point below the schedule’s coldest set point' };
  if (coldestSetPointC === undefined)
    return {
      frostLikely: false,
      item: { ...base, reading: { sensors }, verdict: 'info', message: 'the schedule sets no freezer temperature: nothing to compare' },
    };
  if (!sensors.length)
    return {
      frostLikely: false,
      item: {
        ...base,
        reading: { coldestSetPointC },
        verdict: 'warn',
        message: `no humidity sensor answered: the dew point against the coldest set point ${coldestSetPointC} °C is unknown`,
      },
    };
  const worst = sensors.reduce((a, b) => (b.dewPointC > a.dewPointC ? b : a));
  const marginC = coldestSetPointC - worst.dewPointC;
  const now = `${worst.subject} reads ${worst.relativeHumidityPct.toFixed(1)} %RH at ${worst.temperatureC.toFixed(1)} °C: dew point ${worst.dewPointC.toFixed(1)} °C`;
  const frostLikely = !(marginC > 0);
  return {
    frostLikely,
    item: {
      ...base,
      reading: { coldestSetPointC, marginC, sensors },
      verdict: frostLikely ? 'warn' : 'pass',
      message: frostLikely
        ? `FROST IS LIKELY: ${now}, ${(-marginC).toFixed(1)} °C above the schedule's coldest set point ${coldestSetPointC} °C. The water in the freezer air will freeze out as it cools: run the dehumidifiers and keep the freezer closed before the master cools it.`
        : `${now}, ${marginC.toFixed(1)} °C below the schedule's coldest set point ${coldestSetPointC} °C: no frost expected`,
    },
  };
}

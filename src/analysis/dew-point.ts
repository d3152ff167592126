/**
 * Dew and frost point of moist air from a relative humidity and a temperature (Magnus form with
 * the coefficients of Alduchov and Eskridge 1996 over water, Buck 1981 over ice). Relative humidity
 * is taken against water, as humidity sensors report it; below 0 °C the air's water freezes out as
 * frost, so the point returned there is the frost point.
 */
const WATER = { e0Hpa: 6.1094, a: 17.625, bC: 243.04 };
const ICE = { e0Hpa: 6.1115, a: 22.452, bC: 272.55 };

/** Saturation vapour pressure over water, hPa. */
export function saturationOverWaterHpa(tempC: number): number {
  return WATER.e0Hpa * Math.exp((WATER.a * tempC) / (WATER.bC + tempC));
}

/** Saturation vapour pressure over ice, hPa. */
export function saturationOverIceHpa(tempC: number): number {
  return ICE.e0Hpa * Math.exp((ICE.a * tempC) / (ICE.bC + tempC));
}

function invert(c: typeof WATER, eHpa: number): number {
  const g = Math.log(eHpa / c.e0Hpa);
  return (c.bC * g) / (c.a - g);
}

/**
 * The temperature at which the air's water starts to condense (dew point, above 0 °C) or to
 * freeze out (frost point, below 0 °C). NaN for a humidity of 0 or less (no water to condense).
 */
export function dewOrFrostPointC(tempC: number, relativeHumidityPct: number): number {
  if (!(relativeHumidityPct > 0)) return NaN;
  const e = (Math.min(relativeHumidityPct, 100) / 100) * saturationOverWaterHpa(tempC);
  const dew = invert(WATER, e);
  return dew >= 0 ? dew : invert(ICE, e);
}

import type { Rng } from './rng.js';

/**
 * Standard normal deviates in bulk, two per random 32-bit number: the 65536 quantiles of the
 * normal distribution, rescaled so that their variance is exactly 1. The table ends near ±4σ,
 * which no FAT criterion reaches (hot pixels are called at 5σ; a threshold within a few σ of the
 * baseline is crossed by the noise crossings the acquisition adds itself). Box-Muller per camera
 * pixel or waveform sample took most of the simulated lab's time (bench/standard-fat.ts).
 */
let table: Float64Array | undefined;
export function normalTable(): Float64Array {
  if (table) return table;
  const n = 65536;
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = (k + 0.5) / n;
    // Φ(z) = p by bisection on the complementary error function
    let lo = -6;
    let hi = 6;
    for (let it = 0; it < 40; it++) {
      const mid = (lo + hi) / 2;
      if (0.5 * erfc(-mid / Math.SQRT2) < p) lo = mid;
      else hi = mid;
    }
    t[k] = (lo + hi) / 2;
  }
  const sd = Math.sqrt(t.reduce((a, z) => a + z * z, 0) / n);
  for (let k = 0; k < n; k++) t[k] /= sd;
  return (table = t);
}

/** `out[0..n)` = mean + sigma · a standard normal deviate each */
export function fillNormal(out: Float64Array, n: number, mean: number, sigma: number, rng: Rng): void {
  const z = normalTable();
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const bits = rng.nextUint32();
    out[i] = mean + sigma * z[bits & 0xffff];
    out[i + 1] = mean + sigma * z[bits >>> 16];
  }
  if (i < n) out[i] = mean + sigma * z[rng.nextUint32() & 0xffff];
}

/** As `fillNormal`, each value rounded and held to [0, max] (`fillNormal` then rounding, in one pass) */
export function fillNormalRounded(out: Float64Array, n: number, mean: number, sigma: number, max: number, rng: Rng): void {
  const z = normalTable();
  const rounded = (v: number) => Math.min(max, Math.max(0, Math.round(v)));
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const bits = rng.nextUint32();
    out[i] = rounded(mean + sigma * z[bits & 0xffff]);
    out[i + 1] = rounded(mean + sigma * z[bits >>> 16]);
  }
  if (i < n) out[i] = rounded(mean + sigma * z[rng.nextUint32() & 0xffff]);
}

/** erfc with |error| < 1.2e-7 (Numerical Recipes' erfcc) */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

import { normalTable } from './normal-table.js';
import { Rng } from './rng.js';
import type { CameraTruth } from './truth-types.js';

/**
 * The three cameras of a D-Egg (1312 x 993 pixels, 12-bit), as the simulated mainboard sends
 * their images. A pixel of a frame taken at gain g (units of 0.1 dB: amplification
 * G = 10^(g/200)) and exposure t reads
 *
 *   black level + G · (dark current + hot-pixel excess + light) · t
 *
 * with temporal noise G · sqrt(read noise² + (dark current + light) · t) (the dark and light
 * signals are shot noise at one electron per ADU at gain 0), rounded and clipped to 0..4095.
 * Light only reaches the sensor while the camera's LED line is on: the pattern target, a
 * checkerboard of PATTERN_SQUARE_PX squares whose dark squares return PATTERN_DARK_FRACTION of
 * the light of the bright ones. The model has no temperature dependence.
 */
export const CAMERA_WIDTH = 1312;
export const CAMERA_HEIGHT = 993;
const CAMERA_MAX_ADU = 4095;
/** rows and columns at the top and left that the FAT's analysis drops (raw_2_array: image[16:, 3:]) */
const CAMERA_DROPPED_ROWS = 16;
const CAMERA_DROPPED_COLS = 3;
const PATTERN_SQUARE_PX = 82;
// renderImage draws the pixels of a square two at a time
if (PATTERN_SQUARE_PX % 2 || CAMERA_WIDTH % PATTERN_SQUARE_PX)
  throw new Error('camera-model: the pattern squares must be an even number of pixels wide and tile a row');
const PATTERN_DARK_FRACTION = 0.05;

/** amplification of a gain setting in units of 0.1 dB */
const gainFactor = (gainTenthsDb: number) => 10 ** (gainTenthsDb / 200);

/** mean pixel value of a dark frame away from hot pixels */
export function darkLevelAdu(c: CameraTruth, gainTenthsDb: number, exposureMs: number): number {
  return c.blackLevelAdu + gainFactor(gainTenthsDb) * c.darkCurrentAduPerS * (exposureMs / 1000);
}

/** temporal noise of a dark-frame pixel away from hot pixels (before 12-bit rounding) */
export function darkNoiseAdu(c: CameraTruth, gainTenthsDb: number, exposureMs: number): number {
  return gainFactor(gainTenthsDb) * Math.sqrt(c.readNoiseAdu ** 2 + c.darkCurrentAduPerS * (exposureMs / 1000));
}

/** the three cameras of one module; ids from its camera ring serial R<id1><id2><id3>D */
export function buildCameras(rng: Rng, cameraNumber: string): [CameraTruth, CameraTruth, CameraTruth] {
  const ids = /^R(\d{3})(\d{3})(\d{3})D$/.exec(cameraNumber)?.slice(1) ?? ['001', '002', '003'];
  const one = (n: 1 | 2 | 3): CameraTruth => {
    const hot: CameraTruth['hotPixels'] = [];
    for (let k = rng.int(2, 6); hot.length < k;) {
      const row = rng.int(CAMERA_DROPPED_ROWS, CAMERA_HEIGHT - 1);
      const col = rng.int(CAMERA_DROPPED_COLS, CAMERA_WIDTH - 1);
      if (!hot.some((h) => h.row === row && h.col === col)) hot.push({ row, col, aduPerS: rng.uniform(150, 1500) });
    }
    hot.sort((a, b) => a.row - b.row || a.col - b.col);
    return {
      number: n,
      id: ids[n - 1],
      blackLevelAdu: rng.uniform(236, 248),
      darkCurrentAduPerS: rng.uniform(4, 16),
      readNoiseAdu: rng.uniform(1.8, 3),
      hotPixels: hot,
      patternAduPerMs: rng.uniform(2, 4),
    };
  };
  return [one(1), one(2), one(3)];
}

/** the pattern target's squares alternate like a chessboard, the top-left one bright */
const patternSquareIsBright = (row: number, col: number) =>
  ((Math.floor(row / PATTERN_SQUARE_PX) ^ Math.floor(col / PATTERN_SQUARE_PX)) & 1) === 0;

export interface Exposure {
  gainTenthsDb: number;
  exposureMs: number;
  /** the camera's LED lights the pattern target */
  lit: boolean;
}

/** One frame as the camera sends it: 1312 x 993 little-endian uint16, 12-bit values shifted left by 4. */
export function renderImage(c: CameraTruth, e: Exposure, rng: Rng): Buffer {
  // two deviates per random number (normal-table.ts)
  const z = normalTable();
  const g = gainFactor(e.gainTenthsDb);
  const t = e.exposureMs / 1000;
  const dark = c.darkCurrentAduPerS * t;
  const light = e.lit ? c.patternAduPerMs * e.exposureMs : 0;
  const level = (signal: number) => ({ mean: c.blackLevelAdu + g * signal, sigma: g * Math.sqrt(c.readNoiseAdu ** 2 + signal) });
  const bright = level(dark + light);
  const shade = level(dark + light * PATTERN_DARK_FRACTION);
  // every pixel is written below
  const buf = Buffer.allocUnsafe(CAMERA_WIDTH * CAMERA_HEIGHT * 2);
  // little-endian hosts (x86, ARM): the typed array writes the wire order
  const px = new Uint16Array(buf.buffer, buf.byteOffset, CAMERA_WIDTH * CAMERA_HEIGHT);
  const pixel = (v: number) => Math.min(CAMERA_MAX_ADU, Math.max(0, Math.round(v))) << 4;
  // a pixel is one of 65536 deviates of one of two levels: its wire value looked up, not computed per pixel
  const values = [shade, bright].map(({ mean, sigma }) => {
    const v = new Uint16Array(z.length);
    for (let k = 0; k < z.length; k++) v[k] = pixel(mean + sigma * z[k]);
    return v;
  });
  for (let row = 0, i = 0; row < CAMERA_HEIGHT; row++) {
    for (let col0 = 0; col0 < CAMERA_WIDTH; col0 += PATTERN_SQUARE_PX) {
      const v = values[patternSquareIsBright(row, col0) ? 1 : 0];
      // two deviates per draw, the low 16 bits, then the high ones: a square is an even number of pixels wide
      for (let col = col0, end = Math.min(CAMERA_WIDTH, col0 + PATTERN_SQUARE_PX); col < end; col += 2, i += 2) {
        const bits = rng.nextUint32();
        px[i] = v[bits & 0xffff];
        px[i + 1] = v[bits >>> 16];
      }
    }
  }
  for (const h of c.hotPixels) {
    const lit = patternSquareIsBright(h.row, h.col) ? light : light * PATTERN_DARK_FRACTION;
    const l = level(dark + lit + h.aduPerS * t);
    px[h.row * CAMERA_WIDTH + h.col] = pixel(l.mean + l.sigma * rng.normal());
  }
  return buf;
}

/** the dark-noise settings of the FAT (gain in 0.1 dB, exposure in ms), where the truth is evaluated */
const FAT_DARK_SETTINGS = [
  [0, 33],
  [0, 200],
  [0, 500],
  [0, 3700],
  [120, 3700],
  [30, 3700],
] as const;

/** `fat sim truth` of one camera, with its laws evaluated at the FAT's settings */
export function cameraTruthJson(c: CameraTruth) {
  return {
    ...c,
    enableMask: 1 << (2 * (c.number - 1)),
    ledMask: 2 << (2 * (c.number - 1)),
    law: {
      gain: 'G = 10^(gainTenthsDb / 200)',
      darkLevel: 'blackLevelAdu + G * darkCurrentAduPerS * exposureS (a hot pixel adds G * aduPerS * exposureS)',
      darkNoise: 'G * sqrt(readNoiseAdu^2 + darkCurrentAduPerS * exposureS), before rounding to 12 bits',
      pattern: `checkerboard of ${PATTERN_SQUARE_PX}-pixel squares, the top-left one bright; a bright square adds G * patternAduPerMs * exposureMs while the LED line is on, a dark one ${PATTERN_DARK_FRACTION} of that`,
    },
    /** the FAT's camera dark rate: the dark level at gain 0, 3700 ms */
    darkRateAdu: darkLevelAdu(c, 0, 3700),
    settings: FAT_DARK_SETTINGS.map(([gain, exposureMs]) => ({
      gain,
      exposureMs,
      amplification: gainFactor(gain),
      darkLevelAdu: darkLevelAdu(c, gain, exposureMs),
      darkNoiseAdu: darkNoiseAdu(c, gain, exposureMs),
    })),
  };
}

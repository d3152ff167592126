import { buildCameras, cameraTruthJson } from './camera-model.js';
import { DEVICES_PER_WIRE_PAIR, WIRE_PAIRS, type SimPorts } from './layout.js';
import { Rng } from './rng.js';
import type { LabTruth, LaserSyncTruth, ModuleTruth, PmtTruth } from './truth-types.js';

export type { CameraTruth, LabTruth, ModuleTruth, PmtTruth, FlasherTruth, IcmClockTruth, LaserSyncTruth } from './truth-types.js';

/**
 * The per-D-Egg physics of the simulated lab, with the digitiser numbers of the real mainboard
 * (reference/original-system.md §6.1): 240 MHz, 0.075 mV per ADC count, 36.96 Ω front end.
 */
export const SAMPLE_RATE_HZ = 240e6;
export const TICKS_PER_MS = SAMPLE_RATE_HZ / 1000;
export const ADC_VOLTS_PER_COUNT = 0.075e-3;
export const FRONT_END_OHMS = 36.96;
export const ADC_MAX = 16383;
export const ELECTRON_CHARGE_C = 1.602176634e-19;
/** charge of one ADC count held for one sample */
export const CHARGE_PER_ADC_SAMPLE_C = ADC_VOLTS_PER_COUNT / SAMPLE_RATE_HZ / FRONT_END_OHMS;
export const BASELINE_ADC_PER_DAC = 0.2676;
/** PMT pulses rise faster than they fall; both sides Gaussian, about 1.6 samples on average */
export const PULSE_RISE_SIGMA_SAMPLES = 1.3;
export const PULSE_FALL_SIGMA_SAMPLES = 1.9;
const PULSE_AREA_PER_PEAK = (Math.sqrt(2 * Math.PI) / 2) * (PULSE_RISE_SIGMA_SAMPLES + PULSE_FALL_SIGMA_SAMPLES);
/**
 * Space-charge saturation of a PMT: a pulse of n PE comes out as n / (1 + n / saturationPe). Each
 * PMT draws its own scale in this range (a charge ratio of 0.78-0.93 at 200 PE; the FAT's
 * linearity goalpost asks for at least 0.6); PMT_SATURATION_PE is the default where none is given.
 */
export const PMT_SATURATION_PE = 3000;
export const PMT_SATURATION_RANGE_PE = [700, 2500] as const;

/** the charge of a pulse of `pe` photoelectrons over that of a linear PMT */
export function saturationRatio(pe: number, saturationPe: number): number {
  return 1 / (1 + pe / saturationPe);
}

export function gainAt(pmt: PmtTruth, hvVolts: number): number {
  return hvVolts > 1 ? pmt.gainA * Math.pow(hvVolts, pmt.gainK) : 0;
}

export function speChargeC(gain: number): number {
  return gain * ELECTRON_CHARGE_C;
}

/** pulse height in ADC counts of one photoelectron (about 47 ADC, 3.5 mV, at gain 1e7) */
export function peakAdcPerPe(gain: number): number {
  return speChargeC(gain) / CHARGE_PER_ADC_SAMPLE_C / PULSE_AREA_PER_PEAK;
}

/** pulse shape at `dt` samples from the peak, 1 at the peak */
export function pulseShape(dt: number): number {
  const s = dt < 0 ? PULSE_RISE_SIGMA_SAMPLES : PULSE_FALL_SIGMA_SAMPLES;
  return Math.exp((-0.5 * dt * dt) / (s * s));
}

/** dark rate above 0.25 PE at PMT temperature `tempC` */
export function darkRateHz(pmt: PmtTruth, tempC: number): number {
  return pmt.darkRate.r40Hz * Math.exp(pmt.darkRate.slopePerC * (tempC + 40));
}

export function baselineAdc(pmt: PmtTruth, dac: number): number {
  const b = pmt.baselineAtDac30000Adc + BASELINE_ADC_PER_DAC * (dac - 30000);
  return Math.min(ADC_MAX, Math.max(0, b));
}

/**
 * Dark pulses: mostly single photoelectrons, a few sub-PE (dynode-skipping) pulses, some
 * double-PE pulses and a tail of large (muon and scintillation) pulses. The tail is what keeps a
 * gain-scan trigger rate low but non-zero when the HV is far too low.
 */
const DARK_MIX = { sub: 0.08, one: 0.87, two: 0.04, big: 0.01 };
const SUB_MEAN_PE = 0.3;
const BIG_MEAN_PE = 10;

function erfc(x: number): number {
  // Abramowitz & Stegun 7.1.26, plenty for rates
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? y : 2 - y;
}

/** upper tail of the standard normal, P(Z > z) */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

const gaussAbove = (x: number, mean: number, sigma: number) => 0.5 * erfc((x - mean) / (sigma * Math.SQRT2));

/** fraction of dark pulses whose amplitude exceeds `thrPe` photoelectrons */
export function darkFractionAbove(thrPe: number, speResolution: number): number {
  const x = Math.max(0, thrPe);
  return (
    DARK_MIX.sub * Math.exp(-x / SUB_MEAN_PE) +
    DARK_MIX.one * gaussAbove(x, 1, speResolution) +
    DARK_MIX.two * gaussAbove(x, 2, speResolution * Math.SQRT2) +
    DARK_MIX.big * (x <= 1 ? 1 : Math.exp(-(x - 1) / BIG_MEAN_PE))
  );
}

/** rate of all dark pulses (any amplitude), so that the rate above 0.25 PE is the truth law */
export function totalDarkRateHz(pmt: PmtTruth, tempC: number): number {
  return darkRateHz(pmt, tempC) / darkFractionAbove(0.25, pmt.speResolution);
}

/** amplitude of one dark pulse in photoelectrons */
export function drawDarkAmplitudePe(rng: Rng, speResolution: number): number {
  const u = rng.next();
  if (u < DARK_MIX.sub) return rng.exponential(1 / SUB_MEAN_PE);
  if (u < DARK_MIX.sub + DARK_MIX.one) return Math.max(0.02, rng.normal(1, speResolution));
  if (u < DARK_MIX.sub + DARK_MIX.one + DARK_MIX.two) return Math.max(0.02, rng.normal(2, speResolution * Math.SQRT2));
  return 1 + rng.exponential(1 / BIG_MEAN_PE);
}

/** amplitude in PE of a pulse made of `n` photoelectrons, with SPE smearing and saturation */
export function multiPeAmplitude(rng: Rng, n: number, speResolution: number, saturationPe = PMT_SATURATION_PE): number {
  if (n <= 0) return 0;
  const a = Math.max(0, rng.normal(n, speResolution * Math.sqrt(n)));
  return a * saturationRatio(a, saturationPe);
}

// ---------------------------------------------------------------- truth

const hex = (rng: Rng, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(0, 15)];
  return s;
};
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * One exponential through r40Hz at -40 °C and r20Hz at +20 °C; -20 °C then lands at
 * r40^(2/3)·r20^(1/3), about 1.8-4 kHz (median near 3 kHz) for the ranges drawn below.
 */
function darkSlopePerC(r40Hz: number, r20Hz: number): number {
  return Math.log(r20Hz / r40Hz) / 60;
}

/**
 * `sat` and `tim` are streams of their own, so that adding the saturation and the timing left every
 * other draw as it was
 */
function buildPmt(rng: Rng, channel: 0 | 1, serialNo: number, sat: Rng, tim: Rng): PmtTruth {
  const gainK = rng.uniform(6.5, 8.5);
  const hv1e7Volts = rng.uniform(1250, 1550);
  const r40Hz = rng.uniform(1000, 2500);
  const r20Hz = rng.uniform(6000, 10000);
  return {
    channel,
    name: channel === 0 ? 'LowerPmt' : 'UpperPmt',
    serial: `SQ${pad(serialNo, 4)}`,
    hvb: `KP9995E-B-1_2${pad(rng.int(0, 9999), 4)}b_${pad(rng.int(100, 999), 3)}`,
    gainA: 1e7 / Math.pow(hv1e7Volts, gainK),
    gainK,
    hv1e7Volts,
    speResolution: rng.uniform(0.27, 0.34),
    saturationPe: sat.uniform(PMT_SATURATION_RANGE_PE[0], PMT_SATURATION_RANGE_PE[1]),
    baselineAtDac30000Adc: rng.uniform(8009, 8030),
    baselineNoiseAdc: rng.uniform(1.8, 2.8),
    darkRate: { r40Hz, slopePerC: darkSlopePerC(r40Hz, r20Hz) },
    fibreTransmission: rng.uniform(0.6, 1.0),
    // 4-8 m of fibre from the splitter
    fibreDelayNs: tim.uniform(20, 40),
    transitTimeNs: rng.uniform(55, 65),
    ttsSigmaNs: rng.uniform(1.2, 2.0),
  };
}

function buildModule(seed: number, role: ModuleTruth['role'], port: number, wp: number, dev: number, index: number): ModuleTruth {
  const rng = Rng.derive(seed, `module/${role}/${index}`);
  const batch = rng.int(1, 3);
  const number = rng.int(1, 199);
  const sealingMs = Date.UTC(2025, 0, 1) + rng.int(0, 300) * 86400_000;
  const pmtBase = rng.int(100, 900) * 2;
  const sat = Rng.derive(seed, `module/${role}/${index}/saturation`);
  const tim = Rng.derive(seed, `module/${role}/${index}/timing`);
  const icmClock = {
    // counters that started hours to days before the field hubs' epoch
    offsetS: tim.uniform(1e4, 3e5),
    driftPpm: (tim.next() < 0.5 ? -1 : 1) * tim.uniform(0.3, 3),
    cableDelayNs: tim.uniform(200, 1200),
  };
  const laserSync = role === 'tabletop' ? { delayNs: tim.uniform(30, 60), jitterNs: tim.uniform(0.05, 0.15) } : undefined;
  const m: Omit<ModuleTruth, 'cameras'> = {
    role,
    port,
    wirePair: wp,
    address: dev,
    deggSerial: role === 'tabletop' ? `DEgg2026-TT-${pad(number, 3)}` : `DEgg2026-${batch}-${pad(number, 3)}`,
    icmId: hex(rng, 16),
    mainboardId: `4.1-${pad(rng.int(1, 199), 3)}`,
    mainboardNumber: '',
    stmUuid: hex(rng, 24),
    flashId: hex(rng, 32),
    fpgaVersion: 272,
    softwareVersion: 62,
    softwareId: `iceboot-0x3e-${hex(rng, 7)}`,
    fpgaChipId: `0x${hex(rng, 16)}`,
    icm: pad(rng.int(1, 300), 4),
    flasherId: `REV2-${pad(rng.int(1, 199), 3)}`,
    cameraNumber: `R${pad(rng.int(100, 999), 3)}${pad(rng.int(100, 999), 3)}${pad(rng.int(100, 999), 3)}D`,
    upperGlass: pad(rng.int(5000, 5999), 4),
    lowerGlass: pad(rng.int(5000, 5999), 4),
    upperGlassSerial: `degg-top-${isoDate(sealingMs - 30 * 86400_000).replaceAll('-', '')}-${rng.int(1, 9)}U`,
    lowerGlassSerial: `degg-bottom-${isoDate(sealingMs - 30 * 86400_000).replaceAll('-', '')}-${rng.int(1, 9)}L`,
    penetrator: `180-1/${rng.int(20, 26)} (E${rng.int(1, 99)})`,
    sealingDate: isoDate(sealingMs),
    arrivalDate: isoDate(sealingMs + rng.int(20, 90) * 86400_000),
    // 380-560 hPa at 20 °C stays inside the 300-600 hPa window down to -40 °C
    pressureHpa: rng.uniform(380, 560),
    supplyCurrentsMa: [rng.uniform(380, 520), rng.uniform(150, 230), rng.uniform(120, 190), rng.uniform(180, 260), rng.uniform(100, 150)],
    supplyVoltagesV: [
      1.8 + rng.normal(0, 0.01),
      1.1 + rng.normal(0, 0.005),
      1.35 + rng.normal(0, 0.006),
      2.5 + rng.normal(0, 0.01),
      3.3 + rng.normal(0, 0.015),
    ],
    selfHeatingC: rng.uniform(2, 5),
    flasher: {
      biasThreshold: rng.int(0x4400, 0x4c00),
      pePerKiloBias: Array.from({ length: 12 }, () => rng.uniform(1.5, 4)),
    },
    icmClock,
    ...(laserSync ? { laserSync } : {}),
    pmts: [buildPmt(rng, 0, pmtBase, sat, tim), buildPmt(rng, 1, pmtBase + 1, sat, tim)],
  };
  // a stream of its own, like the saturation: every other draw stays as it was
  return { ...m, cameras: buildCameras(Rng.derive(seed, `module/${role}/${index}/cameras`), m.cameraNumber) };
}

/** The whole lab's truth, the same for the same seed. */
export function buildLabTruth(seed: number, ports: SimPorts): LabTruth {
  const modules: ModuleTruth[] = [];
  for (let wp = 0; wp < WIRE_PAIRS; wp++) {
    for (let dev = 0; dev < DEVICES_PER_WIRE_PAIR; dev++) {
      modules.push(buildModule(seed, 'degg', ports.mainboard(wp, dev), wp, dev, wp * DEVICES_PER_WIRE_PAIR + dev));
    }
  }
  for (const m of modules) m.mainboardNumber = m.mainboardId;
  const tabletop = buildModule(seed, 'tabletop', ports.tabletop, -1, -1, 0);
  tabletop.mainboardNumber = tabletop.mainboardId;
  return { seed, modules, tabletop };
}

/** the rounding of one 240 MHz timestamp, as a variance (ns²) */
const STAMP_ROUNDING_NS2 = (1e9 / SAMPLE_RATE_HZ) ** 2 / 12;

/**
 * What run_timing should find for a D-Egg PMT against the tabletop's laser sync: the offset of
 * their pulse peaks; the spread of the stamp time differences (the TTS, the sync's jitter and the
 * rounding of both 240 MHz timestamps), which the FAT calls the SPE time resolution; and the PMT
 * timing resolution, that spread with the two roundings taken out.
 */
function expectedTiming(p: PmtTruth, sync: LaserSyncTruth) {
  const own = p.ttsSigmaNs ** 2 + sync.jitterNs ** 2;
  return {
    offsetToTabletopNs: p.fibreDelayNs + p.transitTimeNs - sync.delayNs,
    speTimeResolutionNs: Math.sqrt(own + 2 * STAMP_ROUNDING_NS2),
    pmtTimingResolutionNs: Math.sqrt(own),
  };
}

/** JSON-friendly view of the truth for `fat sim truth --json`, with the laws evaluated. */
export function truthJson(truth: LabTruth) {
  const sync = truth.tabletop.laserSync;
  const pmt = (p: PmtTruth, role: ModuleTruth['role']) => ({
    channel: p.channel,
    name: p.name,
    serial: p.serial,
    hvb: p.hvb,
    A: p.gainA,
    k: p.gainK,
    hvAt1e7Volts: p.hv1e7Volts,
    speResolution: p.speResolution,
    saturation: {
      law: 'chargePe = pe / (1 + pe / saturationPe)',
      saturationPe: p.saturationPe,
      ratioAt200Pe: saturationRatio(200, p.saturationPe),
    },
    speChargePcAt1e7: speChargeC(1e7) * 1e12,
    spePeakHeightVAt1e7: peakAdcPerPe(1e7) * ADC_VOLTS_PER_COUNT,
    baselineAdcAtDac30000: p.baselineAtDac30000Adc,
    baselineNoiseAdc: p.baselineNoiseAdc,
    darkRate: {
      law: 'rateHz = r40Hz * exp(slopePerC * (T + 40)), above 0.25 PE',
      r40Hz: p.darkRate.r40Hz,
      slopePerC: p.darkRate.slopePerC,
      rateAt: { '-40': darkRateHz(p, -40), '-20': darkRateHz(p, -20), '20': darkRateHz(p, 20) },
    },
    fibreTransmission: p.fibreTransmission,
    fibreDelayNs: p.fibreDelayNs,
    transitTimeNs: p.transitTimeNs,
    ttsSigmaNs: p.ttsSigmaNs,
    ...(role === 'degg' && sync ? { timing: expectedTiming(p, sync) } : {}),
  });
  const mod = (m: ModuleTruth) => {
    const { pmts, cameras, ...rest } = m;
    return {
      ...rest,
      cameras: cameras.map(cameraTruthJson),
      ...(m.role === 'tabletop' ? { note: 'channel 0 carries the laser sync; channel 1 is an ordinary PMT' } : {}),
      pmts: pmts.map((p) => pmt(p, m.role)),
    };
  };
  return { seed: truth.seed, modules: truth.modules.map(mod), tabletop: mod(truth.tabletop) };
}

import type { DocStore } from '../records/json-docs.js';
import path from 'node:path';
import { z } from 'zod';
import { chargeStats, FLASHER_BIASES, FLASHER_LEDS, judgeLed, ledMask, type ChargeStats, type LedVerdict } from '../analysis/flasher.js';
import { SPE_CHARGE_PC_AT_1E7 } from '../analysis/visibility.js';
import { newDataDir } from '../station/data-dirs.js';
import type { IcebootSession } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { rounds } from './rounds.js';
import { pmtFields, hvSetPoint, pmtSerialOf, where, pmtFileAttrs } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, hvUpEach, laserOff, type ModuleFailure, measurementFailures } from './module-jobs.js';
import { iniInt, iniText } from './values.js';
import { recordResultRows } from './result-rows.js';

/**
 * `measure_baseline_flasher` (measure_flasher_caltrig_chargestamp.py, original-system.md §6.9):
 * the 12 LEDs of each module's flasher ring, one at a time, at 10 bias settings, seen by the
 * lower PMT through charge stamps over a fixed window after the ICM calibration trigger. The laser
 * is off; the lower PMT's HV is brought to HV1e7Gain if it is not on. Which LEDs work is decided
 * in analysis/flasher.ts against a dark level taken the same way with no LED selected.
 */
export const FLASHER = {
  dac: 2000,
  samples: 256,
  /** icmStartCalTrig period in units of 17.0667 µs (rate setting 10, about 5.86 kHz) */
  calTrigPeriod: 10,
  calTrigUnitUs: 4096 / 240,
  /** readDEggChargeBlockFixed window: the flash arrives about 140 samples after the trigger */
  firstBin: 135,
  lastBin: 160,
  hvOnVolts: 1000,
  hvRampS: 40,
  standardDac: 30000,
};
const LED_FREQUENCY_HZ = 1e6 / (FLASHER.calTrigPeriod * FLASHER.calTrigUnitUs);

const params = z.object({
  comment: iniText().default('FAT test'),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  n_events: iniInt({ min: 10, max: 10_000 }).default(500).describe('flashes per LED and bias setting'),
});
type P = z.infer<typeof params>;

const LEDS = Array.from({ length: FLASHER_LEDS }, (_, i) => i + 1);

/** Brings the lower PMT's HV up where it is not on yet; true when it had to ramp. */
async function lowerHvUp(ws: DocStore, s: IcebootSession, m: ActiveModule): Promise<boolean> {
  if ((await s.hvEnabled(0)) && (await s.hvReadback(0)).hvVolts > FLASHER.hvOnVolts) return false;
  await s.enableHV(0);
  await s.setHV(0, await hvSetPoint(ws, m.jsonFile, 'LowerPmt'));
  return true;
}

/** charges (pC) of n flashes of the lower PMT at one LED mask and bias; flagged stamps dropped */
async function flashes(s: IcebootSession, mask: number, bias: number, n: number): Promise<Float64Array> {
  await s.setFlasherBias(bias);
  await s.setFlasherMask(mask);
  await s.icmStartCalTrig(0, FLASHER.calTrigPeriod);
  try {
    const st = await s.readChargeBlockFixed(14 * n, FLASHER.firstBin, FLASHER.lastBin);
    const out: number[] = [];
    for (let i = 0; i < st.count; i++) if (st.channel[i] === 0 && st.flags[i] === 0) out.push(st.chargePc[i]);
    return Float64Array.from(out);
  } finally {
    await s.icmStopCalTrig();
  }
}

export interface ModuleFlasher {
  port: number;
  serial: string;
  pmtSerial: string;
  hvVolts: number;
  speChargePc: number;
  gainNote: string;
  dark: ChargeStats;
  leds: LedVerdict[];
  working: number;
  file: string;
  key: string;
}

/** the charges of every LED and bias setting (NaN where missing) and the dark level, by calibration trigger */
async function acquireFlashes(
  ctx: TaskContext,
  s: IcebootSession,
  n: number,
  onSetting: () => void,
): Promise<{ charges: Float64Array; dark: Float64Array }> {
  const charges = new Float64Array(FLASHER_LEDS * FLASHER_BIASES.length * n).fill(NaN);
  let dark: Float64Array;
  await s.setBaselineDac(0, FLASHER.dac);
  await s.setConstReadout(0, FLASHER.samples);
  await s.setExtTrigSource('ICM');
  await s.startExternalTrigStream(0);
  try {
    await s.enableCalibrationPower();
    await s.setCalibrationSlavePowerMask(2);
    // the dark level: ring powered at the highest bias, no LED selected
    dark = await flashes(s, 0, FLASHER_BIASES[FLASHER_BIASES.length - 1], n);
    for (const led of LEDS) {
      for (let b = 0; b < FLASHER_BIASES.length; b++) {
        ctx.signal.throwIfAborted();
        const q = await flashes(s, ledMask(led), FLASHER_BIASES[b], n);
        charges.set(q.subarray(0, n), ((led - 1) * FLASHER_BIASES.length + b) * n);
        onSetting();
      }
    }
  } finally {
    await s.setFlasherMask(0).catch(() => undefined);
    await s.disableCalibrationPower().catch(() => undefined);
    await s.disableTriggers(0).catch(() => undefined);
    await s.setExtTrigSource('SMA').catch(() => undefined);
    await s.setBaselineDac(0, FLASHER.standardDac).catch(() => undefined);
  }
  return { charges, dark };
}

function judgeLeds(charges: Float64Array, n: number, darkStats: ChargeStats, spe: number): LedVerdict[] {
  return LEDS.map((led) => {
    const perBias = FLASHER_BIASES.map((_, b) => {
      const o = ((led - 1) * FLASHER_BIASES.length + b) * n;
      return chargeStats(
        charges.subarray(o, o + n).filter((x) => !Number.isNaN(x)),
        spe,
      );
    });
    return judgeLed(led, FLASHER_BIASES, perBias, darkStats);
  });
}

interface FlasherData {
  hvVolts: number;
  pmtSerial: string;
  file: string;
  n: number;
  spe: number;
  charges: Float64Array;
  dark: Float64Array;
  darkStats: ChargeStats;
  leds: LedVerdict[];
}

async function writeFlasherFile(ctx: TaskContext, m: ActiveModule, d: FlasherData): Promise<void> {
  const { hvVolts, pmtSerial, file, n, spe, charges, dark, darkStats, leds } = d;
  const meanPe = Float64Array.from(leds.flatMap((l) => l.lightPe.map((x) => x + darkStats.meanPe)));
  await writeHdf5(file, {
    attrs: {
      ...pmtFileAttrs(m, 'LowerPmt', pmtSerial),
      channel: 0,
      hv_volts: hvVolts,
      dac: FLASHER.dac,
      samples: FLASHER.samples,
      charge_window: `${FLASHER.firstBin}..${FLASHER.lastBin}`,
      trigger: 'ICM calibration trigger (external, mode 2)',
      cal_trig_period: FLASHER.calTrigPeriod,
      led_frequency_hz: LED_FREQUENCY_HZ,
      events: n,
      spe_charge_pc: spe,
      leds_working: leds.filter((l) => l.works).length,
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      charge_pc: {
        data: charges,
        shape: [FLASHER_LEDS, FLASHER_BIASES.length, n],
        attrs: { units: 'pC; [LED, bias, flash]; NaN where a flash was flagged or missing' },
      },
      dark_charge_pc: { data: dark, attrs: { units: 'pC; no LED selected, highest bias' } },
      led_mask: { data: Uint16Array.from(LEDS.map(ledMask)), attrs: { units: 'setFlasherMask bit' } },
      bias: { data: Uint16Array.from(FLASHER_BIASES), attrs: { units: 'setFlasherBias DAC' } },
      mean_pe: { data: meanPe, shape: [FLASHER_LEDS, FLASHER_BIASES.length], attrs: { units: 'photoelectrons, dark level included' } },
      works: { data: Uint8Array.from(leds.map((l) => (l.works ? 1 : 0))), attrs: { units: '1 = LED works' } },
    },
  });
}

async function addFlasherEntry(ctx: TaskContext, p: P, m: ActiveModule, dir: string, d: FlasherData, working: number): Promise<string> {
  const { hvVolts, file, n, darkStats, leds } = d;
  return ctx.record.entry(
    m.jsonFile,
    'FlasherCheck',
    {
      Folder: dir,
      Comment: p.comment,
      HV: hvVolts,
      LEDFrequency: LED_FREQUENCY_HZ,
      led_bias_power: [...FLASHER_BIASES],
      led_mask: LEDS.map(ledMask),
      Period: FLASHER.calTrigPeriod,
      DacValue: FLASHER.dac,
      Events: n,
      Filename: file,
      LEDsWorking: working,
      DarkLevelPe: darkStats.meanPe,
      LEDs: Object.fromEntries(
        leds.map((l) => [
          String(l.led),
          { Mask: l.mask, Works: l.works, SlopePePerKiloBias: l.slopePePerKiloBias, SlopeErr: l.slopeErr, Reason: l.reason },
        ]),
      ),
      TaskId: ctx.task.id,
    },
    'LowerPmt',
  );
}

async function measureModule(ctx: TaskContext, p: P, m: ActiveModule, dir: string, onSetting: () => void): Promise<ModuleFlasher> {
  const at = where(m, 'LowerPmt');
  const known = Number((await pmtFields(ctx.ws, m.jsonFile, 'LowerPmt')).HV1e7Gain ?? -1) > 0;
  const gainNote = known ? 'HV at HV1e7Gain: 1.602 pC per PE' : 'HV1e7Gain unknown: gain assumed 1e7 (1.602 pC per PE)';
  return ctx.lab.module(m.port, async (s) => {
    const hvVolts = (await s.hvReadback(0)).hvVolts;
    // without HV the PMT sees no LED at all: that is an HV fault, not twelve dead LEDs
    if (!(hvVolts > FLASHER.hvOnVolts))
      throw new Error(
        `${at}: HV readback ${hvVolts.toFixed(0)} V (set point ${(await hvSetPoint(ctx.ws, m.jsonFile, 'LowerPmt')).toFixed(0)} V) after the ramp: the PMT cannot see the LEDs; check its HV (fat measure stf)`,
      );
    const n = p.n_events;
    const { charges, dark } = await acquireFlashes(ctx, s, n, onSetting);
    if (dark.length < 2) throw new Error(`${at}: only ${dark.length} of ${n} dark flashes came back`);
    const spe = SPE_CHARGE_PC_AT_1E7;
    const darkStats = chargeStats(dark, spe);
    const leds = judgeLeds(charges, n, darkStats, spe);
    const pmtSerial = await pmtSerialOf(ctx.ws, m, 'LowerPmt');
    const file = path.join(dir, `${pmtSerial}.hdf5`);
    const d: FlasherData = { hvVolts, pmtSerial, file, n, spe, charges, dark, darkStats, leds };
    await writeFlasherFile(ctx, m, d);
    const working = leds.filter((l) => l.works).length;
    const key = await addFlasherEntry(ctx, p, m, dir, d, working);
    return { port: m.port, serial: m.serial, pmtSerial, hvVolts, speChargePc: spe, gainNote, dark: darkStats, leds, working, file, key };
  });
}

function warnBadLeds(ctx: TaskContext, r: ModuleFlasher): void {
  const bad = r.leds.filter((l) => !l.works);
  if (bad.length)
    ctx.emit({
      level: 'warn',
      kind: 'measure.flasher.led-failed',
      message: `Flasher of ${r.serial} (port ${r.port}): ${bad.length} of ${FLASHER_LEDS} LEDs do not work: ${bad
        .map((l) => `LED ${l.led} (mask 0x${l.mask.toString(16).padStart(4, '0')}): ${l.reason}`)
        .join('; ')}`,
      audience: 'people',
      data: { port: r.port, leds: bad.map((l) => l.led) },
    });
}

function flasherSummary(p: P, dir: string, results: ModuleFlasher[], failures: ModuleFailure[]) {
  return {
    folder: dir,
    events: p.n_events,
    biases: [...FLASHER_BIASES],
    modules: results.map((r) => ({
      port: r.port,
      serial: r.serial,
      pmtSerial: r.pmtSerial,
      hvVolts: r.hvVolts,
      ledsWorking: r.working,
      darkLevelPe: r.dark.meanPe,
      gainNote: r.gainNote,
      leds: r.leds.map((l) => ({
        led: l.led,
        mask: l.mask,
        works: l.works,
        lightPe: l.lightPe,
        slopePePerKiloBias: l.slopePePerKiloBias,
        slopeErr: l.slopeErr,
        reason: l.reason,
      })),
      key: r.key,
    })),
    failures,
  };
}

export const kind = {
  name: 'measure_baseline_flasher',
  summary: 'flasher LEDs: 12 LEDs x 10 bias settings, lower PMT',
  quantities: ['flasher.leds_working'],
  params,
  positional: ['comment', 'n_jobs'],
  // per setting: about 0.5 s of commands (bias, mask, trigger start and stop, the read) plus the flashes
  estimateS: (p, m) =>
    FLASHER.hvRampS + rounds(m, p.n_jobs) * (20 + (FLASHER_LEDS * FLASHER_BIASES.length + 1) * (0.5 + p.n_events / LED_FREQUENCY_HZ)),
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_baseline_flasher: the run has no active modules');
    await laserOff(ctx);
    const log = measurementFailures(ctx, 'flasher', 'measure_baseline_flasher');
    const { failures, fail } = log;
    ctx.progress(0, `lower PMT HV on ${modules.length} D-Eggs`);
    await hvUpEach(ctx, modules, FLASHER.hvRampS, fail, (s, m) => lowerHvUp(ws, s, m));
    const dir = newDataDir(ws.home.dataDir, 'flasher_chargestamp', ws.clock.now());
    const todo = log.without(modules);
    const total = todo.length * FLASHER_LEDS * FLASHER_BIASES.length;
    let settings = 0;
    const onSetting = () => {
      settings++;
      if (settings % 20 === 0 || settings === total) ctx.progress(settings / total, `${settings}/${total} LED settings`);
    };
    const results: ModuleFlasher[] = [];
    await eachModule(ctx, todo, { jobs: p.n_jobs, log }, async (m) => {
      const r = await measureModule(ctx, p, m, dir, onSetting);
      results.push(r);
      ctx.progress(settings / total, `${r.serial}: ${r.working}/${FLASHER_LEDS} LEDs work`);
      warnBadLeds(ctx, r);
    });
    if (!results.length) throw new Error(`measure_baseline_flasher measured no module: ${log.summary()}`);
    results.sort((a, b) => a.port - b.port);
    // the flasher is seen by the lower PMT: its row is on that PMT
    const onLowerPmt = results.map((r) => ({ ...r, pmt: 'LowerPmt' }));
    await recordResultRows(ctx, 'measure_baseline_flasher', dir, onLowerPmt, 'flasher.leds_working', (r) => ({
      value: r.working,
      detail: {
        darkLevelPe: r.dark.meanPe,
        gain: r.gainNote,
        events: p.n_events,
        notWorking: r.leds.filter((l) => !l.works).map((l) => l.led),
        leds: r.leds.map((l) => ({
          led: l.led,
          mask: l.mask,
          works: l.works,
          topLightPe: l.lightPe[l.lightPe.length - 1],
          slopePePerKiloBias: l.slopePePerKiloBias,
          slopeErr: l.slopeErr,
          reason: l.reason,
        })),
      },
    }));
    return flasherSummary(p, dir, results, failures);
  },
} satisfies TaskKind<P>;

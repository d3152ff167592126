import path from 'node:path';
import { z } from 'zod';
import { laserCharge, type LaserCharge } from '../analysis/laser-charge.js';
import {
  analyseLinearity,
  LINEARITY_FILTER_PAIRS,
  LINEARITY_REFERENCE_PE,
  LINEARITY_THRESHOLDS_ADC,
  type LinearityResult,
} from '../analysis/linearity.js';
import { waveformCharges } from '../analysis/visibility.js';
import { newDataDir } from '../station/data-dirs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { rounds } from './rounds.js';
import { hvUpAll, LASER, laserBaseline, readLaserShots, strengthName, withLaserLab } from './laser-lab.js';
import { hvSetPoint, PMTS, pmtSerialOf, type PmtName, type PmtIdentity, pmtFileAttrs, pmtIdentity } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { eachModule, measurementFailures, type FailureLog } from './module-jobs.js';
import { iniInt, iniText } from './values.js';
import { recordResultRows } from './result-rows.js';

/**
 * `measure_linearity` (measure_linearity.py, original-system.md §6.6): the laser at 100 Hz through
 * both filter wheels at the original's 10 settings (transmission 0.01 … 1.0), every module
 * measured at one setting before the wheels move on. Per PMT and setting: 128-sample waveforms
 * triggered at the setting's threshold over the baseline (DAC 5000), the charge over bins 13..28,
 * the laser-locked triggers and their mean charge per laser shot (analysis/laser-charge.ts).
 *
 * Expected PE: the three lowest settings (0.01, 0.025, 0.05: about 2-20 PE, where a PMT is
 * linear to better than 1%) calibrate the PE per unit transmission as Σ observed / Σ
 * transmission; every setting expects that times its transmission. The original analysis scaled
 * from its low settings the same way; taking three instead of one makes the scale less sensitive
 * to the lowest setting, where a few % of the shots give no trigger. The charge ratio at 200 PE
 * (observed / expected, interpolated in ln PE) is judged against `linearity.charge_ratio_200pe`.
 * The HV stays where it is (HV1e7Gain; set only where a channel is off).
 */
export const LINEARITY = {
  samples: 128,
  /** settings (indices into the 10) whose observed PE calibrate the expected PE */
  calibrationIndices: [0, 1, 2] as const,
  /** from this setting on (0.1: tens of PE) every laser shot triggers; fewer than this fraction means no light */
  alwaysSeenFrom: 3,
  minSeenFraction: 0.5,
  /** lab seconds for the wheels to turn */
  wheelMoveS: 15,
};

const params = z.object({
  comment: iniText().default('10 fw settings, 100 Hz'),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  /** laser shots per setting and PMT (the original: 5000 events) */
  n_events: iniInt({ min: 10, max: 100_000 }).default(5000).describe('laser shots per filter setting and PMT'),
});
type P = z.infer<typeof params>;

export const TRANSMISSIONS = LINEARITY_FILTER_PAIRS.map(([a, b]) => a * b);

interface SettingPoint {
  transmission: number;
  filters: readonly [number, number];
  thresholdAdc: number;
  charge: LaserCharge;
  file: string;
}

interface PmtState {
  m: ActiveModule;
  ch: PmtChannel;
  pmt: PmtName;
  pmtSerial: string;
  baselineAdc: number;
  hvVolts: number;
  points: SettingPoint[];
}

export interface PmtLinearity extends PmtIdentity {
  hvVolts: number;
  baselineAdc: number;
  chargeRatio200Pe: number;
  pePerTransmission: number;
  points: Array<{
    transmission: number;
    observedPe: number;
    expectedPe: number;
    ratio: number;
    laserEvents: number;
    laserShots: number;
    triggers: number;
  }>;
  key: string;
}

async function measureSetting(ctx: TaskContext, p: P, x: PmtState, s: IcebootSession, i: number, dir: string): Promise<SettingPoint> {
  const [s0, s1] = LINEARITY_FILTER_PAIRS[i];
  const transmission = TRANSMISSIONS[i];
  const thresholdAdc = Math.round(x.baselineAdc + LINEARITY_THRESHOLDS_ADC[i]);
  const ts: number[] = [];
  const q: number[] = [];
  const blockStarts: number[] = [];
  // waveforms of the laser-locked triggers only: at the low settings most triggers are dark pulses
  // (the lock is decided within each block, as laserCharge decides it again below)
  const kept: Uint16Array[] = [];
  await readLaserShots(
    ctx,
    s,
    x.m,
    x.ch,
    { samples: LINEARITY.samples, thresholdAdc, shots: p.n_events, laserHz: LASER.laserHz },
    (b, gate) => {
      blockStarts.push(ts.length);
      const c = waveformCharges(b.adc, b.count, LINEARITY.samples, x.baselineAdc);
      const locked = gate.mask;
      for (let k = 0; k < b.count; k++) {
        ts.push(b.timestamp[k]);
        q.push(c[k]);
        if (locked[k]) kept.push(b.adc.slice(k * LINEARITY.samples, (k + 1) * LINEARITY.samples));
      }
    },
  );
  const timestamps = Float64Array.from(ts);
  const charges = Float64Array.from(q);
  const charge = laserCharge(timestamps, charges, LASER.laserHz, blockStarts);
  if (i >= LINEARITY.alwaysSeenFrom && charge.laserEvents < LINEARITY.minSeenFraction * charge.laserShots)
    throw new Error(
      `${x.m.serial} (port ${x.m.port}) ${x.pmt} saw the laser in only ${charge.laserEvents} of ${charge.laserShots} shots at strength ${strengthName(transmission)} (${charge.triggers} triggers above ${thresholdAdc} ADC): check the fibre to this PMT and the filter wheels`,
    );
  const wf = new Uint16Array(kept.length * LINEARITY.samples);
  kept.forEach((k, j) => wf.set(k, j * LINEARITY.samples));
  const file = path.join(dir, `${x.pmtSerial}_${strengthName(transmission)}.hdf5`);
  await writeHdf5(file, {
    attrs: {
      ...pmtFileAttrs(x.m, x.pmt, x.pmtSerial),
      channel: x.ch,
      hv_volts: x.hvVolts,
      dac: LASER.dac,
      baseline_adc: x.baselineAdc,
      threshold_adc: thresholdAdc,
      threshold_adc_over_baseline: LINEARITY_THRESHOLDS_ADC[i],
      filter_wheel_0: s0,
      filter_wheel_1: s1,
      strength: transmission,
      laser_hz: LASER.laserHz,
      laser_shots: charge.laserShots,
      laser_events: charge.laserEvents,
      mean_charge_per_shot_pc: charge.meanChargePerShotPc,
      charge_window: 'samples 13..28, pC = sum(adc - baseline) * 0.075 mV / 240 MHz / 36.96 ohm',
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      timestamp_ticks: { data: timestamps, attrs: { units: '240 MHz FPGA clock ticks, every trigger' } },
      charge_pc: { data: charges, attrs: { units: 'pC, every trigger' } },
      laser_locked: { data: charge.mask, attrs: { units: '1 = trigger locked to the laser period' } },
      waveforms_adc: {
        data: wf,
        shape: [kept.length, LINEARITY.samples],
        attrs: { units: 'ADC counts, laser-locked triggers only, in trigger order' },
      },
    },
  });
  return { transmission, filters: [s0, s1], thresholdAdc, charge, file };
}

/** baselines with the laser off, at the DAC of the measurement */
async function linearityBaselines(ctx: TaskContext, p: P, modules: ActiveModule[], log: FailureLog, states: PmtState[]): Promise<void> {
  await eachModule(ctx, log.without(modules), { jobs: p.n_jobs, log }, async (m) => {
    await ctx.lab.module(m.port, async (s) => {
      const mine: PmtState[] = [];
      for (const ch of [0, 1] as const) {
        const pmt = PMTS[ch];
        mine.push({
          m,
          ch,
          pmt,
          pmtSerial: await pmtSerialOf(ctx.ws, m, pmt),
          baselineAdc: await laserBaseline(s, ch, m),
          hvVolts: (await s.hvReadback(ch)).hvVolts || (await hvSetPoint(ctx.ws, m.jsonFile, pmt)),
          points: [],
        });
      }
      states.push(...mine);
    });
  });
}

/** one PMT's linearity from its points: the entry, and a warning where 200 PE was never reached */
async function analysePmtLinearity(ctx: TaskContext, p: P, dir: string, x: PmtState): Promise<PmtLinearity> {
  const observed = x.points.map((pt) => pt.charge.meanPe);
  const r: LinearityResult = analyseLinearity(TRANSMISSIONS, observed, {
    referenceIndex: LINEARITY.calibrationIndices[0],
    calibrationIndices: LINEARITY.calibrationIndices,
    atPe: LINEARITY_REFERENCE_PE,
  });
  const pePerTransmission = r.points.length ? r.points[0].expectedPe / TRANSMISSIONS[0] : NaN;
  const points = r.points.map((pt, i) => ({
    transmission: pt.transmission,
    observedPe: pt.observedPe,
    expectedPe: pt.expectedPe,
    ratio: pt.ratio,
    laserEvents: x.points[i].charge.laserEvents,
    laserShots: x.points[i].charge.laserShots,
    triggers: x.points[i].charge.triggers,
  }));
  const key = await ctx.record.entry(
    x.m.jsonFile,
    'LinearityMeasurement',
    {
      Folder: dir,
      Comment: p.comment,
      laserFreq: LASER.laserHz,
      Events: p.n_events,
      HV: x.hvVolts,
      DacValue: LASER.dac,
      Baseline: x.baselineAdc,
      Filters: x.points.map((pt) => [...pt.filters]),
      Thresholds: x.points.map((pt) => pt.thresholdAdc),
      ObservedPE: points.map((pt) => pt.observedPe),
      ExpectedPE: points.map((pt) => pt.expectedPe),
      Ratio: points.map((pt) => pt.ratio),
      CalibrationSettings: LINEARITY.calibrationIndices.map((i) => TRANSMISSIONS[i]),
      ChargeRatio200PE: r.ratioAtPe,
      Files: x.points.map((pt) => pt.file),
      TaskId: ctx.task.id,
    },
    x.pmt,
  );
  const out: PmtLinearity = {
    ...pmtIdentity(x.m, x.pmt, x.pmtSerial),
    hvVolts: x.hvVolts,
    baselineAdc: x.baselineAdc,
    chargeRatio200Pe: r.ratioAtPe,
    pePerTransmission,
    points,
    key,
  };
  if (!Number.isFinite(r.ratioAtPe))
    ctx.emit({
      level: 'warn',
      kind: 'measure.linearity.no-200pe',
      message: `measure_linearity: ${x.m.serial} (port ${x.m.port}) ${x.pmt} never reached ${LINEARITY_REFERENCE_PE} expected PE (at most ${Math.max(...points.map((pt) => pt.expectedPe)).toFixed(0)} PE at full strength): no charge ratio at ${LINEARITY_REFERENCE_PE} PE`,
      audience: 'channel',
      data: { port: x.m.port, pmt: x.pmt },
    });
  return out;
}

async function recordLinearityResults(ctx: TaskContext, dir: string, pmts: PmtLinearity[]): Promise<void> {
  await recordResultRows(ctx, 'measure_linearity', dir, pmts, 'linearity.charge_ratio_200pe', (x) => ({
    value: Number.isFinite(x.chargeRatio200Pe) ? x.chargeRatio200Pe : null,
    detail: {
      pePerTransmission: x.pePerTransmission,
      points: x.points.map((pt) => ({ t: pt.transmission, observedPe: pt.observedPe, expectedPe: pt.expectedPe })),
    },
    ...(Number.isFinite(x.chargeRatio200Pe) ? {} : { notMeasured: `expected PE never reached ${LINEARITY_REFERENCE_PE}` }),
  }));
}

export const kind = {
  name: 'measure_linearity',
  summary: 'linearity: 10 filter settings x 5000 laser shots at 100 Hz, charge ratio at 200 PE',
  quantities: ['linearity.charge_ratio_200pe'],
  params,
  positional: ['comment', 'n_jobs'],
  estimateS: (p, m) => LASER.hvRampS + 30 + 10 * (rounds(m, p.n_jobs) * 2 * (p.n_events / LASER.laserHz + 3) + LINEARITY.wheelMoveS),
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_linearity: the run has no active modules');
    const log = measurementFailures(ctx, 'linearity', 'measure_linearity', { once: true });
    const { failures, fail } = log;
    const failed = log.has;
    const dir = newDataDir(ws.home.dataDir, 'linearity', ws.clock.now());
    const states: PmtState[] = [];

    await withLaserLab(ctx, async (lab) => {
      await hvUpAll(ctx, modules, fail);
      await linearityBaselines(ctx, p, modules, log, states);
      await lab.fire(LASER.laserHz, 1);
      const total = LINEARITY_FILTER_PAIRS.length;
      for (let i = 0; i < total; i++) {
        ctx.signal.throwIfAborted();
        const [s0, s1] = LINEARITY_FILTER_PAIRS[i];
        ctx.progress(i / total, `filter setting ${i + 1}/${total}: ${s0} x ${s1} = ${strengthName(TRANSMISSIONS[i])}`);
        await lab.setFilters(s0, s1);
        const todo = modules.filter((m) => !failed(m) && states.some((x) => x.m.port === m.port));
        await eachModule(ctx, todo, { jobs: p.n_jobs, log }, async (m) => {
          await ctx.lab.module(m.port, async (s) => {
            for (const x of states.filter((y) => y.m.port === m.port)) {
              const pt = await measureSetting(ctx, p, x, s, i, dir);
              x.points.push(pt);
              ctx.progress(
                (i + 0.5) / total,
                `${m.serial} ${x.pmt} at ${strengthName(pt.transmission)}: ${pt.charge.meanPe.toFixed(1)} PE per shot (${pt.charge.laserEvents}/${pt.charge.laserShots} shots, ${pt.charge.triggers} triggers)`,
              );
            }
          });
        });
      }
    });

    const done = states.filter((x) => !failed(x.m) && x.points.length === TRANSMISSIONS.length);
    if (!done.length) throw new Error(`measure_linearity measured no module: ${log.summary()}`);
    done.sort((a, b) => a.m.port - b.m.port || a.ch - b.ch);
    const pmts: PmtLinearity[] = [];
    for (const x of done) pmts.push(await analysePmtLinearity(ctx, p, dir, x));
    await recordLinearityResults(ctx, dir, pmts);
    return { folder: dir, events: p.n_events, pmts, failures };
  },
} satisfies TaskKind<P>;

import type { WaveformBlock } from '../lab/iceboot/decode.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import type { FunctionGenerator } from '../lab/instruments/function-generator.js';
import { gateBlock, type BlockGate } from '../analysis/laser-charge.js';
import { measureBaseline } from './pmt-baseline.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import { hvUpEach } from './module-jobs.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * What the laser measurements (measure_linearity, measure_pulsed_waveform) share: the laser lab
 * (function generator and both filter wheels, the generator off again whatever happens), the HV at
 * the module's set point, baselines at DAC 5000 (the FAT's value for large pulses: the baseline
 * sits near 1300 ADC, leaving ~15000 ADC for the pulse) and threshold-triggered waveforms read
 * until a number of laser shots is covered.
 */
export const LASER = {
  laserHz: 100,
  dac: 5000,
  baselineSamples: 1024,
  baselineWaveforms: 20,
  baselineSwPeriodMs: 10,
  blockBytes: 66000,
  hvOnVolts: 1000,
  hvRampS: 40,
  /**
   * reads in a row without a trigger (each waits a second of idle) before giving up: the laser
   * does not reach the PMT. Counted in reads, not lab time: the reads, not the clock, cover shots.
   */
  emptyBlocks: 10,
};

export interface LaserLab {
  fg: FunctionGenerator;
  /** both wheels; the effective transmission is s0·s1 */
  setFilters(s0: number, s1: number): Promise<void>;
  /** laser on at `hz` with `burst` pulses per shot (1: no burst) */
  fire(hz: number, burst: number): Promise<void>;
}

/** Runs `fn` with the generator and wheels (the task's plugs); the laser is off before and after, also on error. */
export async function withLaserLab<T>(ctx: TaskContext, fn: (lab: LaserLab) => Promise<T>): Promise<T> {
  const fg = await ctx.lab.functionGenerator();
  try {
    await fg.disableOutput();
    const wheels = await ctx.lab.filterWheels();
    return await fn({
      fg,
      setFilters: async (s0, s1) => {
        await Promise.all([wheels[0].setStrength(s0), wheels[1].setStrength(s1)]);
      },
      fire: async (hz, burst) => {
        await fg.setShape('SQU');
        await fg.setAmplitude(3);
        await fg.setFrequency(hz);
        await fg.setBurst(burst > 1 ? burst : null);
        await fg.enableOutput();
      },
    });
  } finally {
    // the laser must not stay on: try each step even if an earlier one failed (the engine closes the connections)
    const off = await fg.disableOutput().then(
      () => null,
      (e: unknown) => e as Error,
    );
    await fg.setBurst(null).catch(() => undefined);
    if (off)
      ctx.emit({
        level: 'error',
        kind: 'measure.laser.not-off',
        message: `the function generator at ${fg.address} did not turn its output off (${off.message}): the laser may still be firing; turn it off by hand`,
        audience: 'people',
      });
  }
}

/**
 * The HV of every module at its set point where it is not on yet (HV1e7Gain, 1500 V without one);
 * a channel already on is left as it is. One 40 s ramp wait for all. Modules that fail go to `fail`.
 */
export async function hvUpAll(ctx: TaskContext, modules: ActiveModule[], fail: (m: ActiveModule, e: unknown) => void): Promise<void> {
  await hvUpEach(ctx, modules, LASER.hvRampS, fail, async (s, m) => {
    let set = false;
    for (const ch of [0, 1] as const) {
      if ((await s.hvEnabled(ch)) && (await s.hvReadback(ch)).hvVolts > LASER.hvOnVolts) continue;
      await s.enableHV(ch);
      await s.setHV(ch, await hvSetPoint(ctx.ws, m.jsonFile, PMTS[ch]));
      set = true;
    }
    return set;
  });
}

/** The baseline of one channel at DAC 5000 (the DAC stays set for the measurement). */
export const laserBaseline = (s: IcebootSession, ch: PmtChannel, m: ActiveModule) => measureBaseline(s, ch, m, LASER);

/**
 * Threshold-triggered waveforms of `samples` samples on one channel until the blocks read cover
 * `shots` laser periods; each block goes to `onBlock` as it comes, with its laser gate. Fails,
 * naming the module and what to check, when the laser does not show up within the deadline.
 *
 * A block covers the shot times between its first and last trigger (gateBlock), not its span in
 * periods plus one: that is right only when both ends are laser triggers. On a PMT whose dark
 * pulses cross the threshold ten times per shot, a block of 31 triggers spans about three shots
 * and mostly begins and ends with a dark pulse; counting one shot more per block recorded a
 * quarter fewer shots than asked.
 */
export async function readLaserShots(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  ch: PmtChannel,
  o: { samples: number; thresholdAdc: number; shots: number; laserHz: number },
  onBlock: (b: WaveformBlock, gate: BlockGate) => void,
): Promise<{ blocks: number; coveredShots: number }> {
  await s.setConstReadout(ch, o.samples);
  await s.startThresholdTrigStream(ch, o.thresholdAdc);
  let covered = 0;
  let blocks = 0;
  let empty = 0;
  try {
    while (covered < o.shots) {
      ctx.signal.throwIfAborted();
      const b = await s.readWaveformBlock(LASER.blockBytes, { expectChannel: ch, expectSamples: o.samples });
      if (!b.count) {
        if (++empty >= LASER.emptyBlocks)
          throw new Error(
            `${m.serial} (port ${m.port}) ${PMTS[ch]}: no trigger above ${o.thresholdAdc} ADC in ${empty} reads (${covered.toFixed(0)} of ${o.shots} laser shots recorded): check the laser, the filter wheels and the fibre to this PMT`,
          );
        continue;
      }
      empty = 0;
      blocks++;
      const gate = gateBlock(b.timestamp.subarray(0, b.count), o.laserHz);
      // a block with a trigger covers at least one shot, so that the reads end even without the laser
      covered += Math.max(1, gate.shots);
      onBlock(b, gate);
    }
  } finally {
    await s.disableTriggers(ch);
  }
  return { blocks, coveredShots: covered };
}

/** A number as the original wrote strengths into file names: 0.025, 1.0 */
export const strengthName = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(Number(x.toPrecision(6))));

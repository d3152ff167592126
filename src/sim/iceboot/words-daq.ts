import { BASELINE_ADC_PER_DAC, baselineAdc, TICKS_PER_MS } from '../physics.js';
import { Rng } from '../rng.js';
import { type Ch, PRETRIGGER_SAMPLES, type StreamConfig } from './acquisition.js';
import { CHARGE_STAMP_BYTES, wfmV82RecordBytes, wfmV82Words, writeChargeStamp, writeWfmV82Record, writeWfmV82Words } from './encode.js';
import type { MainboardSim } from './mainboard.js';
import type { Word } from './words.js';
import { syncCameraPower } from './words-camera.js';
import { fail, needFpga, popCh, uint32le } from './words-util.js';

/** Digitiser set-up, triggers, data reads, scalers, flasher (reference/iceboot-protocol.md §3.5-3.11). */

const IDLE_STOP_TICKS = 1000 * TICKS_PER_MS;
const STREAM_CHUNK_WORDS = 2048;
/** one icmStartCalTrig period unit: 17.0667 µs = 4096 ticks of 240 MHz */
const CAL_TRIG_UNIT_TICKS = 4096;
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

function streamConfig(m: MainboardSim, a: number, b: number, mode: number): Omit<StreamConfig, 'armTick'> | null {
  const ch = (x: number): Ch | null => (x === 0 || x === 1 ? x : null);
  const one = ch(a);
  switch (mode) {
    case 0:
      return one === null ? null : { mode, kind: 'threshold', channels: [one], thresholds: [b, b], swPeriodTicks: 0 };
    case 1:
      return one === null || b <= 0 ? null : { mode, kind: 'sw', channels: [one], thresholds: [0, 0], swPeriodTicks: b * TICKS_PER_MS };
    case 2:
      return one === null ? null : { mode, kind: 'ext', channels: [one], thresholds: [0, 0], swPeriodTicks: 0 };
    case 3:
      return { mode, kind: 'threshold', channels: [0, 1], thresholds: [a, b], swPeriodTicks: 0 };
    case 4:
      return one === null ? null : { mode, kind: 'fir', channels: [one], thresholds: [b, b], swPeriodTicks: 0 };
    case 5:
      return { mode, kind: 'fir', channels: [0, 1], thresholds: [a, b], swPeriodTicks: 0 };
    case 64:
    case 66:
    case 68: {
      // hit-buffer (DDR3) modes: channel mask in a, thresholds from the trigger set-up words
      const channels = ([0, 1] as Ch[]).filter((c) => a & (1 << c));
      if (!channels.length) return null;
      const kind = mode === 64 ? 'threshold' : mode === 66 ? 'ext' : 'fir';
      const thr = (c: Ch) => (kind === 'fir' ? m.trig[c].firThreshold : m.trig[c].adcThreshold);
      return { mode, kind, channels, thresholds: [thr(0), thr(1)], swPeriodTicks: 0 };
    }
    default:
      return null;
  }
}

function overThresholdFlags(s: StreamConfig, ch: Ch, samples: Float64Array, n: number): Uint8Array | undefined {
  if (s.kind !== 'threshold') return undefined;
  const thr = s.thresholds[s.channels.length > 1 ? ch : 0];
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = samples[i] > thr ? 1 : 0;
  return f;
}

/** `<n> readDEggWfmBlock`: exactly n bytes of v0x82 records, zero filled; partial after 1 s without triggers */
const readWfmBlock: Word = async (m, io) => {
  const n = io.stack.pop('readDEggWfmBlock');
  if (n <= 0 || n > MAX_BLOCK_BYTES) throw fail('readDEggWfmBlock');
  needFpga(m, 'readDEggWfmBlock');
  const buf = Buffer.alloc(n);
  const s = m.acq.stream;
  const maxRec = s ? Math.max(...s.channels.map((c) => wfmV82RecordBytes(m.acq.nSamples[c]))) : 0;
  let off = 0;
  if (maxRec <= n) {
    await m.acq.collect(
      io.signal,
      IDLE_STOP_TICKS,
      () => 0,
      (t, samples, ns) => {
        off = writeWfmV82Record(buf, off, t.ch, t.startTick, samples, ns, s ? overThresholdFlags(s, t.ch, samples, ns) : undefined);
        return off + maxRec <= n;
      },
    );
  }
  io.printBytes(buf);
};

/**
 * `readDEggWfmStream` is stateful: with no transfer in progress it waits for the next waveform
 * (up to 1 s of lab time) and answers its word count as uint32 LE (0 if none came); afterwards each
 * call answers the next chunk of at most 2048 words.
 */
const readWfmStream: Word = async (m, io) => {
  needFpga(m, 'readDEggWfmStream');
  const tr = m.acq.streamTransfer;
  if (tr) {
    const end = Math.min(tr.words.length, tr.offset + 2 * STREAM_CHUNK_WORDS);
    io.printBytes(Buffer.from(tr.words.subarray(tr.offset, end)));
    m.acq.setStreamTransfer(end >= tr.words.length ? null : tr.words, end);
    return;
  }
  let words: Buffer | null = null;
  const s = m.acq.stream;
  if (s) {
    await m.acq.collect(
      io.signal,
      IDLE_STOP_TICKS,
      () => 0,
      (t, samples, ns) => {
        words = Buffer.alloc(2 * wfmV82Words(ns));
        writeWfmV82Words(words, 0, t.ch, t.startTick, samples, ns, overThresholdFlags(s, t.ch, samples, ns));
        return false;
      },
    );
  } else {
    await m.ctx.clock.sleep(1000, io.signal);
  }
  const got = words as Buffer | null;
  if (!got) {
    io.printBytes(uint32le(0));
    return;
  }
  m.acq.setStreamTransfer(got, 0);
  io.printBytes(uint32le(got.length / 2));
};

/**
 * `<len> <back> <fwd> readDEggChargeBlock` / `<len> <first> <last> readDEggChargeBlockFixed`:
 * exactly len bytes of 14-byte charge stamps; blocks until that many triggers have happened.
 */
function readChargeBlock(word: string, fixed: boolean): Word {
  return async (m, io) => {
    const [len, a, b] = io.stack.popN(word, 3);
    if (len <= 0 || len > MAX_BLOCK_BYTES || (fixed && (a < 0 || b < a || b >= 4096))) throw fail(word);
    needFpga(m, word);
    const nStamps = Math.floor(len / CHARGE_STAMP_BYTES);
    const buf = Buffer.alloc(len);
    const lab = m.ctx.lab;
    // laser-sync-late: the tabletop's first block after the generator came on is not locked yet
    if (m.tabletop && lab.laserFiring && m.ctx.faults.has('laser-sync-late', m.port) && m.syncLockedForOnMs !== lab.laserOnSinceMs) {
      m.syncIrregular = true;
    }
    let k = 0;
    try {
      if (nStamps > 0) {
        const minSamples = fixed ? b + 1 : PRETRIGGER_SAMPLES + b + 1;
        await m.acq.collect(
          io.signal,
          undefined,
          () => minSamples,
          (t, samples, ns, v) => {
            const q = m.acq.charge(samples, ns, v.baselineAdc, a, b, fixed);
            writeChargeStamp(buf, k * CHARGE_STAMP_BYTES, t.ch, t.startTick + PRETRIGGER_SAMPLES, q);
            k++;
            return k < nStamps;
          },
        );
      }
    } finally {
      if (m.syncIrregular) {
        m.syncIrregular = false;
        m.syncLockedForOnMs = lab.laserOnSinceMs;
      }
    }
    io.printBytes(buf);
  };
}

/** count of the last complete scaler period: Poisson around the rate above threshold, with dead time */
function scalerCount(m: MainboardSim, ch: Ch): number {
  const s = m.scalers[ch];
  if (!s) return 0;
  const periodMs = s.periodUs / 1000;
  const k = Math.floor((m.nowMs() - s.startMs) / periodMs) - 1;
  if (k < 0) return 0;
  const rate = m.scalerRateHz(ch);
  const deadS = s.deadtimeCycles / 240e6;
  const observed = rate / (1 + rate * deadS);
  // the same period always reads back the same count
  const rng = Rng.derive(m.ctx.seed, `scaler/${m.port}/${ch}/${s.startMs}/${k}`);
  return rng.poisson(observed * (s.periodUs / 1e6));
}

export const DAQ_WORDS: Array<[string, Word]> = [
  [
    'setDAC',
    (m, io) => {
      const [letter, value] = io.stack.popN('setDAC', 2);
      const i = letter - 65;
      if (i < 0 || i > 7 || value < 0 || value > 65535) throw fail('setDAC');
      m.dac[i] = value;
    },
  ],
  [
    'resetDAC',
    (m) => {
      m.dac.fill(0);
      m.dac[0] = m.dac[1] = 30000;
    },
  ],
  [
    'setDEggConstReadout',
    (m, io) => {
      const [ch, , n] = io.stack.popN('setDEggConstReadout', 3);
      if ((ch !== 0 && ch !== 1) || n < 16 || n % 4 !== 0 || n > 4096) throw fail('setDEggConstReadout');
      m.acq.nSamples[ch] = n;
    },
  ],
  [
    'setDEggVariableReadout',
    (m, io) => {
      const [ch, pre, post] = io.stack.popN('setDEggVariableReadout', 3);
      const n = Math.ceil((pre + post) / 4) * 4;
      if ((ch !== 0 && ch !== 1) || n < 16 || n > 4096) throw fail('setDEggVariableReadout');
      m.acq.nSamples[ch] = n;
    },
  ],
  [
    'calibrateDEggBaseline',
    async (m, io) => {
      const ch = popCh(io, 'calibrateDEggBaseline');
      needFpga(m, 'calibrateDEggBaseline');
      await m.ctx.clock.sleep(2000, io.signal);
      const pmt = m.truth.pmts[ch];
      const slope = BASELINE_ADC_PER_DAC * (1 + m.rng.normal(0, 0.002));
      const intercept = baselineAdc(pmt, 0) + m.rng.normal(0, 0.5);
      io.print(JSON.stringify({ slope, intercept, isValid: true }));
    },
  ],

  // ---- trigger set-up (used by scalers and the hit-buffer modes)
  [
    'setDEggADCTriggerThreshold',
    (m, io) => {
      const thr = io.stack.pop('setDEggADCTriggerThreshold');
      m.trig[popCh(io, 'setDEggADCTriggerThreshold')].adcThreshold = thr;
    },
  ],
  ['enableDEggADCTrigger', (m, io) => void (m.trig[popCh(io, 'enableDEggADCTrigger')].use = 'adc')],
  [
    'setDEggFIRTriggerThreshold',
    (m, io) => {
      const thr = io.stack.pop('setDEggFIRTriggerThreshold');
      m.trig[popCh(io, 'setDEggFIRTriggerThreshold')].firThreshold = thr;
    },
  ],
  ['enableDEggFIRTrigger', (m, io) => void (m.trig[popCh(io, 'enableDEggFIRTrigger')].use = 'fir')],
  ['enableDEggExternalTrigger', (m, io) => void (m.trig[popCh(io, 'enableDEggExternalTrigger')].use = null)],
  [
    'disableDEggTriggers',
    (m, io) => {
      const ch = popCh(io, 'disableDEggTriggers');
      m.trig[ch].use = null;
      m.acq.stop(ch);
    },
  ],
  ['setDEggExtTrigSourceSMA', (m) => void (m.extSource = 'sma')],
  ['setDEggExtTrigSourceICM', (m) => void (m.extSource = 'icm')],
  [
    'setDEggFIRCoefficients',
    (m, io) => {
      const [ch, ...coeffs] = io.stack.popN('setDEggFIRCoefficients', 17);
      if (ch !== 0 && ch !== 1) throw fail('setDEggFIRCoefficients');
      m.acq.setFir(ch, coeffs);
    },
  ],
  ['printDEggFIRCoefficients', (m, io) => io.print(m.acq.firCoeffs[popCh(io, 'printDEggFIRCoefficients')].join(' '))],

  // ---- acquisition
  [
    'startDEggWfmStream',
    (m, io) => {
      const [a, b, mode] = io.stack.popN('startDEggWfmStream', 3);
      needFpga(m, 'startDEggWfmStream');
      const cfg = streamConfig(m, a, b, mode);
      if (!cfg) throw fail('startDEggWfmStream');
      m.acq.arm(cfg);
    },
  ],
  ['readDEggWfmStream', readWfmStream],
  ['readDEggWfmBlock', readWfmBlock],
  ['readDEggChargeBlock', readChargeBlock('readDEggChargeBlock', false)],
  ['readDEggChargeBlockFixed', readChargeBlock('readDEggChargeBlockFixed', true)],

  // ---- scalers
  [
    'enableScalers',
    (m, io) => {
      const [ch, periodUs, deadtimeCycles] = io.stack.popN('enableScalers', 3);
      if ((ch !== 0 && ch !== 1) || periodUs <= 0 || deadtimeCycles < 0) throw fail('enableScalers');
      needFpga(m, 'enableScalers');
      m.scalers[ch] = { periodUs, deadtimeCycles, startMs: m.nowMs() };
    },
  ],
  ['disableScalers', (m, io) => void (m.scalers[popCh(io, 'disableScalers')] = null)],
  ['getScalerCount', (m, io) => io.stack.push(scalerCount(m, popCh(io, 'getScalerCount')))],

  // ---- flasher and calibration trigger
  // the cameras hang on the same power (words-camera.ts)
  ['enableCalibrationPower', (m) => void (m.calPower = true)],
  [
    'disableCalibrationPower',
    (m) => {
      m.calPower = false;
      syncCameraPower(m);
    },
  ],
  [
    'setCalibrationSlavePowerMask',
    (m, io) => {
      m.calSlaveMask = io.stack.pop('setCalibrationSlavePowerMask');
      syncCameraPower(m);
    },
  ],
  [
    'setFlasherBias',
    (m, io) => {
      const bias = io.stack.pop('setFlasherBias');
      if (bias < 0 || bias > 0xffff) throw fail('setFlasherBias');
      m.flasherBias = bias;
    },
  ],
  [
    'setFlasherMask',
    (m, io) => {
      const mask = io.stack.pop('setFlasherMask');
      if (mask < 0 || mask > 0xfff) throw fail('setFlasherMask');
      m.flasherMask = mask;
    },
  ],
  [
    'icmStartCalTrig',
    (m, io) => {
      const [nPulses, period] = io.stack.popN('icmStartCalTrig', 2);
      if (period <= 0 || nPulses < 0) throw fail('icmStartCalTrig');
      m.calTrigState = { startTick: m.nowTick(), periodTicks: period * CAL_TRIG_UNIT_TICKS, nPulses };
      io.print(`0x${Math.floor(m.nowTick() / 4).toString(16)}`);
    },
  ],
  ['icmStopCalTrig', (m) => void (m.calTrigState = null)],
  [
    'enableCalibrationTrigger',
    (m, io) => {
      const us = io.stack.pop('enableCalibrationTrigger');
      if (us <= 0) throw fail('enableCalibrationTrigger');
      m.calTrigState = { startTick: m.nowTick(), periodTicks: us * 240, nPulses: 0 };
    },
  ],
  ['disableCalibrationTrigger', (m) => void (m.calTrigState = null)],
  ['enableFEPulser', (_m, io) => void io.stack.popN('enableFEPulser', 2)],
  ['disableFEPulser', (_m, io) => void io.stack.pop('disableFEPulser')],
];

import { CHARGE_PER_ADC_SAMPLE_C, normalTail, pulseShape, TICKS_PER_MS } from '../physics.js';
import type { Rng } from '../rng.js';
import { addDarkPulses, addLightPulse, addNoiseCrossings, PulseTrain, renderWindow } from './pulses.js';

/**
 * The D-Egg FPGA's acquisition as the simulator models it: a start word arms a mode, reads pull
 * the triggers that happen from then on. Lab time is cut into chunks; in each chunk every light
 * source adds pulses to the channels, the trigger logic picks the pulses that fire, and the reader
 * waits (lab time) until the last trigger it returns has happened.
 */

export type Ch = 0 | 1;

/** what a channel sees right now (the mainboard fills it from the truth, HV and the lab) */
export interface ChannelView {
  baselineAdc: number;
  noiseAdc: number;
  /** 0 when the HV is off */
  peakAdcPerPe: number;
  speResolution: number;
  /** space-charge saturation scale of the PMT (PE) */
  saturationPe: number;
  /** all dark pulses, any amplitude */
  darkRateHz: number;
  /** mean photoelectrons per laser shot (0: no light, or this is the sync input) */
  laserMeanPe: number;
  /** laser shot to pulse peak, and its jitter (on the tabletop's sync input: the sync's) */
  transitTicks: number;
  ttsTicks: number;
  /** mean photoelectrons per flasher flash (0 when the LEDs are dark) */
  flasherMeanPe: number;
  /** the tabletop's sync input: one fixed pulse per laser shot */
  isSync: boolean;
}

export interface LaserView {
  firing: boolean;
  /** tick of the first shot (phase lock to the generator's output-on time) */
  onTick: number;
  periodTicks: number;
  pulsesPerShot: number;
  /** between the pulses of a burst (20 ns of lab time) */
  burstSpacingTicks: number;
}

export interface CalTrig {
  startTick: number;
  periodTicks: number;
  /** 0 = continuous */
  nPulses: number;
}

export interface AcqHost {
  rng: Rng;
  nowTick(): number;
  sleepUntilTick(tick: number, signal?: AbortSignal): Promise<void>;
  view(ch: Ch): ChannelView;
  laser(): LaserView;
  /** sync pulses on the tabletop: 'ok', 'none' (no-laser-sync) or 'irregular' (not locked yet) */
  syncState(): 'ok' | 'none' | 'irregular';
  calTrig(): CalTrig | null;
  extSource(): 'icm' | 'sma';
}

export type StreamKind = 'threshold' | 'fir' | 'sw' | 'ext';

export interface StreamConfig {
  mode: number;
  kind: StreamKind;
  channels: Ch[];
  /** per channel: absolute ADC threshold (threshold), FIR units (fir) */
  thresholds: [number, number];
  swPeriodTicks: number;
  armTick: number;
}

export interface Trigger {
  ch: Ch;
  /** tick of the first sample of the readout window */
  startTick: number;
}

/**
 * Pulses are drawn a chunk of lab time at a time, the first chunk of a read short and each next
 * one twice as long up to CHUNK_TICKS: a read that stops at its first trigger (readDEggWfmStream,
 * one waveform per command) then draws about as much as it uses, not 100 ms of dark pulses for
 * the first 0.2 ms (most of the simulated lab's time in a FAT, bench/standard-fat.ts).
 */
const FIRST_CHUNK_TICKS = TICKS_PER_MS;
const CHUNK_TICKS = 100 * TICKS_PER_MS;
/** a read returns what the FPGA buffered, but not more than this much history */
const BACKLOG_TICKS = 1000 * TICKS_PER_MS;
/** where a threshold-triggered pulse peaks within its readout window */
export const PRETRIGGER_SAMPLES = 16;
/** where a flasher pulse peaks after the ICM calibration trigger */
export const FLASHER_DELAY_SAMPLES = 140;
const SYNC_AMPLITUDE_ADC = 3000;

export class Acquisition {
  stream: StreamConfig | null = null;
  readonly nSamples: [number, number] = [128, 128];
  readonly firCoeffs: [number[], number[]] = [defaultFir(), defaultFir()];
  private readonly firGain: [number, number] = [firGainOf(defaultFir()), firGainOf(defaultFir())];
  private cursorTick = 0;
  /** a channel reading out a window cannot trigger again until it ends */
  private readonly deadUntil = [0, 0];
  private readonly trains: [PulseTrain, PulseTrain] = [new PulseTrain(), new PulseTrain()];
  private scratch = new Float64Array(4096);
  /** `readDEggWfmStream` transfer in progress */
  private streamWords: Buffer | null = null;
  private streamWordOffset = 0;
  /** the direct waveform buffer (DPRAM) that a CPU trigger fills, read one page of 2048 words at a time */
  direct: { words: Uint16Array; page: number } | null = null;
  /** what the DDR3 hit buffer took since a hit-buffer mode (64, 66, 68) was armed, counted up to `untilTick` */
  hitBuffer: { records: number; bytes: number; overflown: boolean; untilTick: number } | null = null;

  constructor(private readonly host: AcqHost) {}

  reset(): void {
    this.stream = null;
    this.nSamples[0] = this.nSamples[1] = 128;
    this.firCoeffs[0] = defaultFir();
    this.firCoeffs[1] = defaultFir();
    this.firGain[0] = this.firGain[1] = firGainOf(defaultFir());
    this.streamWords = null;
    this.direct = null;
    this.hitBuffer = null;
    this.cursorTick = 0;
    this.deadUntil[0] = this.deadUntil[1] = 0;
  }

  setFir(ch: Ch, coeffs: number[]): void {
    this.firCoeffs[ch] = coeffs;
    this.firGain[ch] = firGainOf(coeffs);
  }

  /** the peak ADC excess a pulse needs to fire a FIR threshold `thr` on `ch` */
  firExcessAdc(ch: Ch, thr: number): number {
    const g = this.firGain[ch];
    return g > 0 ? thr / (16 * g) : Infinity;
  }

  arm(cfg: Omit<StreamConfig, 'armTick'>): void {
    const now = this.host.nowTick();
    this.stream = { ...cfg, armTick: now };
    this.cursorTick = now;
    this.deadUntil[0] = this.deadUntil[1] = now;
    this.streamWords = null;
    this.hitBuffer = cfg.mode >= 64 ? { records: 0, bytes: 0, overflown: false, untilTick: now } : null;
  }

  stop(ch?: Ch): void {
    if (!this.stream) return;
    if (ch === undefined) this.stream = null;
    else {
      const left = this.stream.channels.filter((c) => c !== ch);
      this.stream = left.length ? { ...this.stream, channels: left } : null;
    }
    this.streamWords = null;
  }

  /**
   * Collects triggers from now on (plus what the FPGA buffered), calling `onTrigger` with each
   * trigger's rendered window (at least `minSamples(ch)` long), until it returns false or, with
   * `idleStopTicks`, that long passes without a trigger. Waits lab time up to the last trigger.
   */
  async collect(
    signal: AbortSignal | undefined,
    idleStopTicks: number | undefined,
    minSamples: (ch: Ch) => number,
    onTrigger: (t: Trigger, samples: Float64Array, nSamples: number, view: ChannelView) => boolean,
  ): Promise<number> {
    let got = 0;
    let more = true;
    const now = this.host.nowTick();
    let cursor = Math.max(this.cursorTick, now - BACKLOG_TICKS, this.stream?.armTick ?? 0);
    let lastTrigger = cursor;
    let chunk = FIRST_CHUNK_TICKS;
    while (more) {
      signal?.throwIfAborted();
      const s = this.stream;
      const from = cursor;
      const to = cursor + chunk;
      chunk = Math.min(CHUNK_TICKS, 2 * chunk);
      let endTick = to;
      for (const t of s ? this.candidatesIn(s, from, to) : []) {
        if (t.startTick < this.deadUntil[t.ch]) continue;
        const v = this.views[t.ch];
        const ns = Math.max(this.nSamples[t.ch], minSamples(t.ch));
        const samples = this.render(t, this.trains[t.ch], v, ns);
        // the FPGA triggers on the digitised samples: a candidate the noise kept below threshold did not fire
        if (s && !this.fires(s, t.ch, samples, ns, v)) continue;
        this.deadUntil[t.ch] = t.startTick + this.nSamples[t.ch];
        more = onTrigger(t, samples, ns, v);
        got++;
        lastTrigger = t.startTick;
        if (!more) {
          endTick = t.startTick + 1;
          break;
        }
      }
      cursor = endTick;
      this.cursorTick = cursor;
      await this.host.sleepUntilTick(cursor, signal);
      if (idleStopTicks !== undefined && more && cursor - lastTrigger >= idleStopTicks) break;
    }
    return got;
  }

  private fires(s: StreamConfig, ch: Ch, samples: Float64Array, ns: number, v: ChannelView): boolean {
    const thr = s.thresholds[s.channels.length > 1 ? ch : 0];
    if (s.kind === 'threshold') {
      const lo = Math.max(0, PRETRIGGER_SAMPLES - 4);
      const hi = Math.min(ns, PRETRIGGER_SAMPLES + 5);
      for (let i = lo; i < hi; i++) if (samples[i] > thr) return true;
      return false;
    }
    if (s.kind === 'fir') {
      const c = this.firCoeffs[ch];
      const bl = Math.round(v.baselineAdc);
      for (let n = 0; n + c.length <= ns; n++) {
        let y = 0;
        for (let i = 0; i < c.length; i++) y += c[i] * (samples[n + i] - bl);
        if (16 * y >= thr) return true;
      }
      return false;
    }
    return true;
  }

  private views: [ChannelView, ChannelView] = [emptyView(), emptyView()];

  /** pulses of both channels in [from, to), then the trigger candidates the armed mode makes of them */
  private candidatesIn(s: StreamConfig, from: number, to: number): Trigger[] {
    const rng = this.host.rng;
    const laser = this.host.laser();
    const cal = this.host.calTrig();
    const out: Trigger[] = [];
    for (const ch of [0, 1] as Ch[]) {
      const v = (this.views[ch] = this.host.view(ch));
      const train = this.trains[ch];
      train.clear();
      // a channel not read out makes no triggers: its pulses would go unseen
      const idx = s.channels.indexOf(ch);
      if (idx < 0) continue;
      addDarkPulses(train, rng, from, to, v.darkRateHz / 240e6, v.peakAdcPerPe, v.speResolution);
      if (laser.firing) this.addLaser(train, v, laser, from, to);
      if (cal && v.flasherMeanPe > 0) {
        for (const tick of calTicks(cal, from - FLASHER_DELAY_SAMPLES, to - FLASHER_DELAY_SAMPLES)) {
          addLightPulse(
            train,
            rng,
            tick + FLASHER_DELAY_SAMPLES + rng.normal(0, 0.5),
            v.flasherMeanPe,
            v.peakAdcPerPe,
            v.speResolution,
            v.saturationPe,
          );
        }
      }
      if (s.kind === 'threshold' || s.kind === 'fir') {
        const excess = this.excessFor(s, ch, v);
        // the baseline itself crosses a threshold set within a few sigma of it
        const noiseRate = Math.min(2e5, 60e6 * normalTail(excess / Math.max(0.1, v.noiseAdc))) / 240e6;
        if (noiseRate * 240e6 > 0.1) addNoiseCrossings(train, rng, from, to, noiseRate, Math.max(0, excess));
      }
      train.sort();
      this.channelTriggers(s, ch, v, cal, laser, from, to, out);
    }
    out.sort((a, b) => a.startTick - b.startTick);
    return out;
  }

  private excessFor(s: StreamConfig, ch: Ch, v: ChannelView): number {
    const thr = s.thresholds[s.channels.length > 1 ? ch : 0];
    return s.kind === 'fir' ? this.firExcessAdc(ch, thr) : thr - v.baselineAdc;
  }

  private addLaser(train: PulseTrain, v: ChannelView, laser: LaserView, from: number, to: number): void {
    const rng = this.host.rng;
    if (v.isSync) {
      const state = this.host.syncState();
      if (state === 'none') return;
      if (state === 'irregular') {
        for (let t = from + rng.uniform(0.3, 1.7) * laser.periodTicks; t < to; t += rng.uniform(0.3, 1.7) * laser.periodTicks) {
          train.add(t, SYNC_AMPLITUDE_ADC);
        }
        return;
      }
      for (const shot of shotTicks(laser, from - v.transitTicks, to - v.transitTicks)) {
        train.add(shot + v.transitTicks + rng.normal(0, v.ttsTicks), SYNC_AMPLITUDE_ADC);
      }
      return;
    }
    if (!(v.laserMeanPe > 0)) return;
    // A burst belongs, whole, to the chunk its first pulse falls in: cut at a chunk boundary, the
    // window of its trigger would show only part of it (a peak ratio or droop the PMT does not
    // have) or its tail alone. Reads start a nominal backlog before now; on a lab clock that ticks
    // in whole laser periods (time scale 1000) that is a fixed tick after a shot, which the board
    // clock's drift (ppm x 1 s = up to 720 ticks) moves into the burst at every read.
    for (const shot of shotTicks(laser, from - v.transitTicks, to - v.transitTicks)) {
      for (let b = 0; b < laser.pulsesPerShot; b++) {
        const t = shot + v.transitTicks + b * laser.burstSpacingTicks + rng.normal(0, v.ttsTicks);
        addLightPulse(train, rng, t, v.laserMeanPe, v.peakAdcPerPe, v.speResolution, v.saturationPe);
      }
    }
  }

  private channelTriggers(
    s: StreamConfig,
    ch: Ch,
    v: ChannelView,
    cal: CalTrig | null,
    laser: LaserView,
    from: number,
    to: number,
    out: Trigger[],
  ): void {
    const push = (start: number) => void out.push({ ch, startTick: start });
    if (s.kind === 'sw') {
      const k0 = Math.max(0, Math.ceil((from - s.armTick) / s.swPeriodTicks));
      for (let k = k0; s.armTick + k * s.swPeriodTicks < to; k++) push(Math.floor(s.armTick + k * s.swPeriodTicks));
      return;
    }
    if (s.kind === 'ext') {
      const src = this.host.extSource();
      if (src === 'icm' && cal) for (const t of calTicks(cal, from, to)) push(Math.floor(t));
      if (src === 'sma' && laser.firing) for (const t of shotTicks(laser, from, to)) push(Math.floor(t));
      return;
    }
    // generous cut: the rendered samples decide (see `fires`)
    const cut = this.excessFor(s, ch, v) - 4 * v.noiseAdc;
    const train = this.trains[ch];
    for (let i = 0; i < train.n; i++) {
      if (train.amp[i] >= cut && train.amp[i] > 0) push(Math.floor(train.tick[i]) - PRETRIGGER_SAMPLES);
    }
  }

  /** ADC samples of one trigger's readout window (valid until the next call) */
  render(t: Trigger, train: PulseTrain, v: ChannelView, nSamples: number): Float64Array {
    if (this.scratch.length < nSamples) this.scratch = new Float64Array(nSamples);
    renderWindow(this.scratch, nSamples, train, t.startTick, v.baselineAdc, v.noiseAdc, this.host.rng);
    return this.scratch;
  }

  /** charge in coulombs over [peak-back, peak+fwd] (fixed=false) or the bins [back, fwd] (fixed=true) */
  charge(samples: Float64Array, nSamples: number, baselineAdc: number, back: number, fwd: number, fixed: boolean): number {
    let lo: number;
    let hi: number;
    if (fixed) {
      lo = back;
      hi = fwd;
    } else {
      let peak = 0;
      for (let i = 1; i < nSamples; i++) if (samples[i] > samples[peak]) peak = i;
      lo = peak - back;
      hi = peak + fwd;
    }
    lo = Math.max(0, lo);
    hi = Math.min(nSamples - 1, hi);
    const bl = Math.round(baselineAdc);
    let sum = 0;
    for (let i = lo; i <= hi; i++) sum += samples[i] - bl;
    return sum * CHARGE_PER_ADC_SAMPLE_C;
  }

  // ---- readDEggWfmStream state (one waveform pulled in chunks of at most 2048 words)

  get streamTransfer(): { words: Buffer; offset: number } | null {
    return this.streamWords ? { words: this.streamWords, offset: this.streamWordOffset } : null;
  }

  setStreamTransfer(words: Buffer | null, offset = 0): void {
    this.streamWords = words;
    this.streamWordOffset = offset;
  }
}

function emptyView(): ChannelView {
  return {
    baselineAdc: 0,
    noiseAdc: 0,
    peakAdcPerPe: 0,
    speResolution: 0.3,
    saturationPe: 3000,
    darkRateHz: 0,
    laserMeanPe: 0,
    transitTicks: 0,
    ttsTicks: 0,
    flasherMeanPe: 0,
    isSync: false,
  };
}

function defaultFir(): number[] {
  return [...Array<number>(10).fill(0), 1, 1, 0, 0, 0, 0];
}

/** FIR output for a unit pulse, best alignment, averaged over the sub-sample phase */
export function firGainOf(coeffs: number[]): number {
  let total = 0;
  const phases = 10;
  for (let f = 0; f < phases; f++) {
    let best = 0;
    for (let n = 0; n < 40; n++) {
      let y = 0;
      for (let i = 0; i < coeffs.length; i++) y += coeffs[i] * pulseShape(n + i - coeffs.length - 10 - f / phases);
      best = Math.max(best, y);
    }
    total += best;
  }
  return total / phases;
}

function* shotTicks(laser: LaserView, from: number, to: number): Generator<number> {
  if (!laser.firing || !(laser.periodTicks > 0)) return;
  const k0 = Math.max(0, Math.ceil((from - laser.onTick) / laser.periodTicks));
  for (let k = k0; ; k++) {
    const t = laser.onTick + k * laser.periodTicks;
    if (t >= to) return;
    yield t;
  }
}

function* calTicks(cal: CalTrig, from: number, to: number): Generator<number> {
  const k0 = Math.max(0, Math.ceil((from - cal.startTick) / cal.periodTicks));
  for (let k = k0; cal.nPulses === 0 || k < cal.nPulses; k++) {
    const t = cal.startTick + k * cal.periodTicks;
    if (t >= to) return;
    yield t;
  }
}

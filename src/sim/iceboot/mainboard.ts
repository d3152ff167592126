import type net from 'node:net';
import type { SimContext } from '../context.js';
import { IcmClock } from '../icm-clock.js';
import { LASER_PE_AT_FULL_STRENGTH } from '../lab-state.js';
import { baselineAdc, darkFractionAbove, gainAt, normalTail, peakAdcPerPe, TICKS_PER_MS, totalDarkRateHz } from '../physics.js';
import { Rng } from '../rng.js';
import type { ModuleTruth } from '../truth-types.js';
import { Acquisition, type AcqHost, type CalTrig, type Ch, type ChannelView, type LaserView } from './acquisition.js';
import { ForthError, ForthStack, tokenize } from './forth.js';
import { HvChannel } from './hv.js';
import { CTRL2_AFTER_SETUP, CTRL2_HV, CTRL2_LID } from './interlocks.js';
import { WORDS, type WordIO } from './words.js';
import { newCameraState, syncCameraPower, type CameraState } from './words-camera.js';

// the device-port listener lives next door; re-exported so `iceboot/mainboard.js` is the one entry point
export { startDevicePort, type DevicePort } from './device-port.js';
export * from './interlocks.js';

export const FPGA_VERSION_UNCONFIGURED = 65535;
export const DAC_DEFAULT = 30000;
/** the "no answer after a few commands" faults strike after this many lines */
const FAULT_AFTER_COMMANDS = 5;
const SLOW_REPLY_WALL_MS = 1500;
/** the hv-sag fault: volts the supply stays below its set point */
const HV_SAG_VOLTS = 200;
/** the noisy-pmt fault: dark rate times this */
const NOISY_PMT_FACTOR = 3;
/** the wide-tts fault: the PMT's transit-time spread */
export const WIDE_TTS_NS = 6;
/** between the pulses of a laser burst */
const BURST_SPACING_NS = 20;
const PROMPT = Buffer.from('\r\n> ');

export type McuState = 'off' | 'bootloader' | 'iceboot';

export interface MainboardOptions {
  tabletop?: boolean;
}

export interface ScalerConfig {
  periodUs: number;
  deadtimeCycles: number;
  startMs: number;
}

export interface FlashFile {
  name: string;
  size: number;
}

/**
 * One simulated D-Egg mainboard: the MCU console (iceboot Forth), its FPGA digitiser and HV.
 *
 * Choices where the protocol reference leaves the firmware open:
 * - A new MainboardSim is already running iceboot with its FPGA configured (the state after
 *   `fat setup`), echo off, log output on. `powerOn()` (ICM mb_on) starts it in the bootloader.
 * - In the bootloader only a line containing `boot` is answered (echo if on, then the prompt).
 * - `reboot` sends its echo (if on) but never a prompt; echo stays on through it.
 * - Errors end the rest of the line: `<word>: unknown word` (stack kept), `<word>: stack underflow`,
 *   `<word>: FAIL`. The whole reply (echo, output, prompt) goes out in one write, so a word that
 *   blocks (a charge block waiting for triggers) sends nothing until it is done.
 * - Lines are executed one at a time, as on the real single-threaded MCU.
 */
export class MainboardSim {
  readonly port: number;
  readonly tabletop: boolean;
  /** ICM CTRL2 interlock bits; the ICM simulator owns it (see CTRL2_AFTER_SETUP) */
  ctrl2 = CTRL2_AFTER_SETUP;
  state: McuState = 'iceboot';
  echo = false;
  logEnabled = true;
  readonly logLines: string[] = [];
  logLevel = 2;
  readonly stack = new ForthStack();
  /** FPGA holds a configuration (false after reboot/power-on until flashConfigureFPGA) */
  fpgaLoaded = true;
  /** flashConfigureFPGA ran since the last boot (the fpga-unconfigured fault waits for it) */
  fpgaFlashedSinceBoot = false;
  /** flashes the fpga-flash-fails fault has made fail */
  flashFailures = 0;
  /** version of the image in the FPGA (from the flash file name, e.g. degg_fw_v0x110.rbf = 272) */
  loadedFpgaVersion: number;
  /** lab time of the last power-on/boot (getTick, the log, warming up) */
  t0Ms: number;
  /** the in-ice ICM's oscillator: the 240 MHz counter is four times its count and runs through reboots */
  readonly icmClock: IcmClock;
  readonly hv: [HvChannel, HvChannel];
  readonly dac = new Array<number>(8).fill(0);
  readonly acq: Acquisition;
  readonly trig: Array<{ adcThreshold: number; firThreshold: number; use: 'adc' | 'fir' | null }> = [];
  readonly scalers: Array<ScalerConfig | null> = [null, null];
  calPower = false;
  calSlaveMask = 0;
  flasherBias = 0;
  flasherMask = 0;
  calTrigState: CalTrig | null = null;
  extSource: 'icm' | 'sma' = 'sma';
  pressureReadingHpa: number | null = null;
  sensorTempC: number | null = null;
  /** laser-sync-late: the generator-on time the tabletop's sync has locked to */
  syncLockedForOnMs: number | null = null;
  syncIrregular = false;
  cameraMask = 0;
  readonly cameras: CameraState[] = [newCameraState(), newCameraState(), newCameraState()];
  /** what the garbled-camera-id fault draws from, per camera: the same reads for the same seed */
  readonly cameraIdRng: Rng[];
  readonly flashFiles: FlashFile[] = [
    { name: 'degg_fw_v0x10e.rbf', size: 2_490_368 },
    { name: 'degg_fw_v0x110.rbf', size: 2_498_560 },
  ];
  readonly rng: Rng;
  /** lines executed since power-on (hang-module counts them) */
  commandsSincePowerOn = 0;
  /** no-reboot-module: set at a power-on or reboot under that fault; the board stays silent */
  silentSinceBoot = false;
  rxLines = 0;
  txReplies = 0;
  /**
   * Per connected client, what aborts its lines' work: the client going away or the board
   * restarting (which replaces the controller, so the client's next lines run). Plain controllers,
   * no AbortSignal.any(): on Node 20 each call leaves a WeakRef in its sources' dependant sets for
   * as long as the sources live, one per line served, and a dry run of the standard FAT serves
   * millions of lines.
   */
  private readonly work = new Map<net.Socket, AbortController>();
  private readonly sockets = new Set<net.Socket>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ctx: SimContext,
    readonly truth: ModuleTruth,
    opts: MainboardOptions = {},
  ) {
    this.port = truth.port;
    this.loadedFpgaVersion = truth.fpgaVersion;
    this.tabletop = opts.tabletop ?? truth.role === 'tabletop';
    this.rng = Rng.derive(ctx.seed, `mainboard/${truth.port}`);
    this.cameraIdRng = [1, 2, 3].map((cam) => Rng.derive(ctx.seed, `mainboard/${truth.port}/camera-id/${cam}`));
    this.t0Ms = ctx.clock.now();
    this.icmClock = new IcmClock(truth.icmClock);
    this.hv = [new HvChannel(this.t0Ms), new HvChannel(this.t0Ms)];
    this.acq = new Acquisition(this.acqHost());
    this.resetDaq();
    this.log('iceboot started');
  }

  // ------------------------------------------------------------------ power and boot

  powerOff(): void {
    this.state = 'off';
    this.abortWork();
    this.resetDaq();
  }

  powerOn(): void {
    this.abortWork();
    this.state = 'bootloader';
    this.echo = false;
    this.logEnabled = true;
    this.commandsSincePowerOn = 0;
    this.silentSinceBoot = this.faultOn('no-reboot-module');
    this.coldStart();
  }

  /** `reboot`: the MCU restarts into the bootloader; echo survives (the FAT flows rely on it) */
  reboot(): void {
    this.abortWork();
    this.state = 'bootloader';
    this.silentSinceBoot = this.faultOn('no-reboot-module');
    this.coldStart();
  }

  private coldStart(): void {
    this.t0Ms = this.ctx.clock.now();
    this.fpgaLoaded = false;
    this.fpgaFlashedSinceBoot = false;
    this.stack.clear();
    this.resetDaq();
  }

  private resetDaq(): void {
    const now = this.ctx.clock.now();
    for (const h of this.hv) h.reset(now);
    this.dac.fill(0);
    this.dac[0] = this.dac[1] = DAC_DEFAULT;
    this.acq.reset();
    this.trig.length = 0;
    for (let i = 0; i < 2; i++) this.trig.push({ adcThreshold: 16383, firThreshold: 16383 * 16, use: null });
    this.scalers[0] = this.scalers[1] = null;
    this.calPower = false;
    this.calSlaveMask = 0;
    this.flasherBias = 0;
    this.flasherMask = 0;
    this.calTrigState = null;
    this.extSource = 'sma';
    this.cameraMask = 0;
    syncCameraPower(this);
  }

  private abortWork(): void {
    for (const [socket, c] of this.work) {
      c.abort(new Error('mainboard restarted'));
      this.work.set(socket, new AbortController());
    }
    this.acq.setStreamTransfer(null);
  }

  get fpgaVersion(): number {
    const faulty = this.ctx.faults.has('fpga-unconfigured', this.port, `wp${this.truth.wirePair}`);
    if (!this.fpgaLoaded || (faulty && !this.fpgaFlashedSinceBoot) || this.flashFailsLeft() > 0) return FPGA_VERSION_UNCONFIGURED;
    return this.loadedFpgaVersion;
  }

  /** How many more flashes the fpga-flash-fails fault makes fail (0: none, Infinity: all). */
  flashFailsLeft(): number {
    const f = this.ctx.faults
      .list()
      .find((x) => x.kind === 'fpga-flash-fails' && (x.target === undefined || x.target.split('/')[0] === String(this.port)));
    if (!f) return 0;
    const n = f.target?.includes('/') ? Number(f.target.split('/')[1]) : Infinity;
    return Math.max(0, n - this.flashFailures);
  }

  get fpgaConfigured(): boolean {
    return this.fpgaVersion !== FPGA_VERSION_UNCONFIGURED;
  }

  interlock(bit: number): boolean {
    return (this.ctrl2 & bit) !== 0;
  }

  log(msg: string): void {
    const s = (this.ctx.clock.now() - this.t0Ms) / 1000;
    this.logLines.push(`[${s.toFixed(3)}] ${msg}`);
    if (this.logLines.length > 50) this.logLines.shift();
  }

  // ------------------------------------------------------------------ physics views

  nowMs(): number {
    return this.ctx.clock.now();
  }

  nowTick(): number {
    return this.tickAt(this.ctx.clock.now());
  }

  /** the 240 MHz counter at lab time `ms` */
  tickAt(ms: number): number {
    return 4 * this.icmClock.at(this.ctx.lab.hubTicksAt(ms));
  }

  hvVolts(ch: Ch): number {
    const v = this.hv[ch].voltsAt(this.nowMs(), this.interlock(CTRL2_HV));
    if (this.ctx.faults.has('dead-hv', this.port, `${this.port}/${ch}`)) return 0;
    return this.ctx.faults.has('hv-sag', this.port, `${this.port}/${ch}`) ? Math.max(0, v - HV_SAG_VOLTS) : v;
  }

  /** temperature of the PMTs: the air around the module */
  pmtTemperatureC(atMs = this.nowMs()): number {
    return this.tabletop ? this.ctx.lab.roomTemperatureC : this.ctx.lab.freezer.temperatureC(atMs);
  }

  /** mainboard sensor: the air half an hour ago (thermal lag) plus self-heating since boot */
  mainboardTemperatureC(): number {
    const now = this.nowMs();
    const warm = 1 - Math.exp(-(now - this.t0Ms) / 600_000);
    return this.pmtTemperatureC(now - 1_800_000) + this.truth.selfHeatingC * warm;
  }

  noisy(ch: Ch): boolean {
    return this.ctx.faults.has('noisy-pmt', this.port, `${this.port}/${ch}`);
  }

  fibreBroken(ch: Ch): boolean {
    return this.ctx.faults.has('broken-fibre', this.port, `${this.port}/${ch}`);
  }

  flasherMeanPe(ch: Ch): number {
    if (!this.calPower || !(this.calSlaveMask & 2) || !this.interlock(CTRL2_LID) || !this.flasherMask) return 0;
    const f = this.truth.flasher;
    const steps = Math.max(0, this.flasherBias - f.biasThreshold) / 1024;
    let pe = 0;
    for (let i = 0; i < 12; i++) {
      const dead = this.ctx.faults.has('dead-led', this.port, `${this.port}/${i + 1}`);
      if (this.flasherMask & (1 << i) && !dead) pe += f.pePerKiloBias[i] * steps;
    }
    // the ring sits in the lower half; the upper PMT sees a little through the gel
    return ch === 0 ? pe : 0.15 * pe;
  }

  view(ch: Ch): ChannelView {
    const pmt = this.truth.pmts[ch];
    const isSync = this.tabletop && ch === 0;
    const gain = isSync ? 0 : gainAt(pmt, this.hvVolts(ch));
    const lab = this.ctx.lab;
    const light = this.tabletop || this.fibreBroken(ch) ? 0 : pmt.fibreTransmission;
    return {
      baselineAdc: baselineAdc(pmt, this.dac[ch]),
      noiseAdc: pmt.baselineNoiseAdc,
      peakAdcPerPe: peakAdcPerPe(gain),
      speResolution: pmt.speResolution,
      saturationPe: pmt.saturationPe,
      darkRateHz: gain > 0 ? totalDarkRateHz(pmt, this.pmtTemperatureC()) * (this.noisy(ch) ? NOISY_PMT_FACTOR : 1) : 0,
      laserMeanPe: LASER_PE_AT_FULL_STRENGTH * lab.filterTransmission() * light,
      ...this.timingTicks(ch, isSync),
      flasherMeanPe: isSync ? 0 : this.flasherMeanPe(ch),
      isSync,
    };
  }

  /** laser to pulse peak and its jitter, in this board's ticks: the PMT's, or the sync's on the tabletop */
  private timingTicks(ch: Ch, isSync: boolean): { transitTicks: number; ttsTicks: number } {
    const pmt = this.truth.pmts[ch];
    const sync = this.truth.laserSync;
    const [delayNs, jitterNs] =
      isSync && sync
        ? [sync.delayNs, sync.jitterNs]
        : [
            pmt.fibreDelayNs + pmt.transitTimeNs,
            this.ctx.faults.has('wide-tts', this.port, `${this.port}/${ch}`) ? WIDE_TTS_NS : pmt.ttsSigmaNs,
          ];
    const perNs = (TICKS_PER_MS / 1e6) * this.icmClock.rate;
    return { transitTicks: delayNs * perNs, ttsTicks: jitterNs * perNs };
  }

  laser(): LaserView {
    const lab = this.ctx.lab;
    return {
      firing: lab.laserFiring,
      onTick: this.tickAt(lab.laserOnSinceMs),
      periodTicks: lab.fg.frequencyHz > 0 ? (240e6 * this.icmClock.rate) / lab.fg.frequencyHz : Infinity,
      pulsesPerShot: lab.fg.burstOn ? Math.max(1, Math.min(200, lab.fg.burstCycles)) : 1,
      burstSpacingTicks: BURST_SPACING_NS * (TICKS_PER_MS / 1e6) * this.icmClock.rate,
    };
  }

  private acqHost(): AcqHost {
    return {
      rng: this.rng,
      nowTick: () => this.nowTick(),
      sleepUntilTick: async (tick, signal) => {
        const lab = this.ctx.lab;
        const ms = lab.msAtHubTicks(this.icmClock.hubAt(tick / 4)) - this.ctx.clock.now();
        // a read that catches up with lab time still lets the other boards' connections in
        if (ms > 0) await this.ctx.clock.sleep(ms, signal);
        else await new Promise((r) => setImmediate(r));
      },
      view: (ch) => this.view(ch),
      laser: () => this.laser(),
      syncState: () => (this.ctx.faults.has('no-laser-sync', this.port) ? 'none' : this.syncIrregular ? 'irregular' : 'ok'),
      calTrig: () => this.calTrigState,
      extSource: () => this.extSource,
    };
  }

  /** expected scaler rate on `ch` above the configured trigger threshold, before dead time */
  scalerRateHz(ch: Ch): number {
    const v = this.view(ch);
    const t = this.trig[ch];
    const excess = t.use === 'fir' ? this.acq.firExcessAdc(ch, t.firThreshold) : t.adcThreshold - v.baselineAdc;
    let rate = 0;
    if (v.peakAdcPerPe > 0) rate += v.darkRateHz * darkFractionAbove(excess / v.peakAdcPerPe, v.speResolution);
    rate += Math.min(2e5, 60e6 * normalTail(excess / Math.max(0.1, v.noiseAdc)));
    const laser = this.laser();
    if (laser.firing && v.peakAdcPerPe > 0 && v.laserMeanPe > 0) {
      rate += (240e6 / laser.periodTicks) * laser.pulsesPerShot * poissonAtLeast(v.laserMeanPe, Math.ceil(excess / v.peakAdcPerPe));
    }
    if (v.isSync && laser.firing && !this.ctx.faults.has('no-laser-sync', this.port) && excess < 3000) {
      rate += 240e6 / laser.periodTicks;
    }
    const cal = this.calTrigState;
    if (cal && v.flasherMeanPe > 0 && v.peakAdcPerPe > 0) {
      rate += (240e6 / cal.periodTicks) * poissonAtLeast(v.flasherMeanPe, Math.ceil(excess / v.peakAdcPerPe));
    }
    return rate;
  }

  /** rate of the external trigger: the ICM's calibration trigger or the laser's sync on the SMA input */
  externalTriggerHz(): number {
    if (this.extSource === 'icm') return this.calTrigState ? 240e6 / this.calTrigState.periodTicks : 0;
    const laser = this.laser();
    return laser.firing ? 240e6 / laser.periodTicks : 0;
  }

  // ------------------------------------------------------------------ console

  /** Serves one client on this console; the device-port layer closes earlier clients. */
  attach(socket: net.Socket): void {
    this.sockets.add(socket);
    const conn = new AbortController();
    this.work.set(socket, new AbortController());
    let pending = Buffer.alloc(0);
    let linesOnThisConnection = 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const nl = pending.indexOf(0x0a);
        if (nl < 0) break;
        const line = pending.subarray(0, nl + 1);
        pending = pending.subarray(nl + 1);
        linesOnThisConnection++;
        const n = linesOnThisConnection;
        this.queue = this.queue
          .then(() => this.serveLine(socket, line, n, conn.signal))
          .catch((e: unknown) => {
            this.ctx.log(`mainboard ${this.port}: ${String(e)}`);
          });
      }
    });
    const done = () => {
      this.sockets.delete(socket);
      conn.abort(new Error('client disconnected'));
      this.work.get(socket)?.abort(conn.signal.reason);
      this.work.delete(socket);
    };
    socket.on('close', done);
    socket.on('error', done);
  }

  /** bytes that come out of the device port without a command (a RapCal packet from the ICMs) */
  sendUnsolicited(bytes: Buffer): void {
    for (const s of this.sockets) if (!s.destroyed) s.write(bytes);
  }

  detachAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private faultOn(kind: Parameters<SimContext['faults']['has']>[0]): boolean {
    return this.ctx.faults.has(kind, this.port, `wp${this.truth.wirePair}`);
  }

  private async serveLine(socket: net.Socket, line: Buffer, nOnConnection: number, connSignal: AbortSignal): Promise<void> {
    if (socket.destroyed || connSignal.aborted) return;
    if (this.faultOn('dead-module') || this.silentSinceBoot) return;
    if (this.state !== 'off') this.commandsSincePowerOn++;
    if (this.faultOn('hang-module') && this.commandsSincePowerOn > FAULT_AFTER_COMMANDS) return;
    if (this.faultOn('drop-module') && nOnConnection > FAULT_AFTER_COMMANDS) {
      socket.destroy();
      return;
    }
    this.rxLines++;
    const signal = this.work.get(socket)?.signal;
    if (!signal) return;
    let reply: Buffer | null;
    try {
      reply = await this.execute(line, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (!reply) return;
    if (this.faultOn('garbage-module')) reply = Buffer.concat([garbage(this.rng), reply]);
    // wall, and only under this fault: a slow reply is measured against the client's wall-time reply timeout
    if (this.faultOn('slow-module')) await new Promise((r) => setTimeout(r, SLOW_REPLY_WALL_MS));
    if (socket.destroyed || connSignal.aborted) return;
    this.txReplies++;
    socket.write(reply);
  }

  /**
   * Runs one received line (with its EOL) and returns the bytes to send back, or null for
   * silence (powered off, bootloader ignoring a line, reboot).
   */
  async execute(line: Buffer, signal?: AbortSignal): Promise<Buffer | null> {
    if (this.state === 'off') return null;
    const text = line.toString('latin1');
    const echo = this.echo ? line : Buffer.alloc(0);
    if (this.state === 'bootloader') {
      if (!text.split(/\s+/).includes('boot')) return null;
      this.state = 'iceboot';
      this.log('boot');
      return Buffer.concat([echo, PROMPT]);
    }
    const out: Buffer[] = [];
    const io: WordIO = {
      stack: this.stack,
      signal,
      print: (s) => out.push(Buffer.from(s, 'latin1')),
      printBytes: (b) => out.push(b),
    };
    let rebooted = false;
    try {
      for (const tok of tokenize(text)) {
        if (tok.kind !== 'word') {
          this.stack.push(tok.value);
          continue;
        }
        if (tok.name === 'reboot') {
          this.reboot();
          rebooted = true;
          break;
        }
        const fn = WORDS.get(tok.name);
        if (!fn) throw new ForthError(`${tok.name}: unknown word`);
        await fn(this, io);
      }
    } catch (e) {
      // an error ends the line; aborts (disconnect, power off) and bugs go up to serveLine
      if (!(e instanceof ForthError)) throw e;
      out.push(Buffer.from(e.message, 'latin1'));
    }
    if (rebooted) return echo.length ? Buffer.from(echo) : null;
    return Buffer.concat([echo, ...out, PROMPT]);
  }
}

/** bytes that cannot be mistaken for a prompt or an EOL */
function garbage(rng: Rng): Buffer {
  const n = rng.int(3, 24);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0x80, 0xfe);
  return b;
}

/** P(N >= k) for N ~ Poisson(mean) */
function poissonAtLeast(mean: number, k: number): number {
  if (k <= 0) return 1;
  if (mean > 50) return normalTail((k - 0.5 - mean) / Math.sqrt(mean));
  let term = Math.exp(-mean);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= mean / (i + 1);
  }
  return Math.max(0, 1 - below);
}

import { TcpTransport } from '../transport/tcp.js';
import type { Transport } from '../transport/transport.js';
import { IcebootConsole, REPLY_TIMEOUT_MS, type ConsoleOptions } from './console.js';
import { decodeChargeStamps, decodeWaveformBlock, type ChargeStamps, type WaveformBlock } from './decode.js';
import { IcebootError, showReply } from './errors.js';
import {
  BOARD_TYPES,
  DEGG_BOARD_TYPE,
  firstFloat,
  parseFlashLs,
  parseSloAdcLine,
  parseStack,
  ReplyFormatError,
  SLO_ADC_FAIL,
  stackInt,
  type FlashFile,
  type SloAdcReading,
} from './parse.js';

export interface IcebootSessionOptions extends ConsoleOptions {
  /** TCP connect timeout (wall ms); default 3000 */
  connectTimeoutMs?: number;
  /** silence allowed after `boot` (wall ms); default 3000 as in the original */
  bootTimeoutMs?: number;
  /** refuse boards whose `getBoardType` is not 113 (D-Egg); default true */
  requireDEgg?: boolean;
}

/** What the session-open sequence learnt about the module. */
export interface SessionInfo {
  boardType: number;
  boardName: string;
  softwareVersion: number;
  softwareId: string;
  fpgaVersion: number;
  /** the log-output state found at open (0 or 1), restored at close */
  logState: 0 | 1;
}

export type DacChannel = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H';
export type PmtChannel = 0 | 1;

export interface ReadWaveformOptions {
  /** longest silence allowed while the block fills (wall ms); default 10000 */
  timeoutMs?: number;
  /** raise when a record comes from another channel (as FAT does) */
  expectChannel?: number;
  /** raise when a record has another number of samples (the "0x6a firmware" check) */
  expectSamples?: number;
}

/**
 * One open iceboot session on a D-Egg mainboard's device port: the real client's open and close
 * sequence (iceboot-protocol.md §2.4) plus typed words for what the FAT sends.
 */
export class IcebootSession extends IcebootConsole {
  private constructor(
    transport: Transport,
    opts: IcebootSessionOptions,
    private _info: SessionInfo,
  ) {
    super(transport, opts);
  }

  get info(): SessionInfo {
    return this._info;
  }

  static async open(host: string, port: number, opts: IcebootSessionOptions = {}): Promise<IcebootSession> {
    const module = `${opts.name ?? 'D-Egg'} at tcp://${host}:${port}`;
    let transport: Transport;
    try {
      transport = await TcpTransport.connect(host, port, opts.connectTimeoutMs ?? 3000);
    } catch (e) {
      throw new IcebootError(
        'connect',
        module,
        undefined,
        `${module} cannot be reached: ${(e as Error).message}; check that its DomNet instance runs (fat setup)`,
      );
    }
    const placeholder: SessionInfo = { boardType: 0, boardName: '', softwareVersion: 0, softwareId: '', fpgaVersion: 0, logState: 0 };
    const s = new IcebootSession(transport, opts, placeholder);
    try {
      await s.startUp(opts);
    } catch (e) {
      await transport.close();
      throw e;
    }
    return s;
  }

  /** Opens `tcp://host:port` as written in the station file. */
  static openAddress(address: string, opts: IcebootSessionOptions = {}): Promise<IcebootSession> {
    const m = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(address);
    if (!m) throw new Error(`"${address}" is not a D-Egg address (expected tcp://host:port)`);
    return IcebootSession.open(m[1], Number(m[2]), opts);
  }

  private async startUp(opts: IcebootSessionOptions): Promise<void> {
    await this.boot(opts.bootTimeoutMs ?? 3000, 1);
    // a bootloader banner may come in pieces; whatever trails the first prompt is not a reply
    await this.quiet(50);
    await this.loose('true setecho', REPLY_TIMEOUT_MS);
    await this.quiet(20);
    const log = (await this.cmd('disableLogOutput')).trim();
    await this.settle(100);
    await this.cmd('sdrop');
    const boardType = await this.intCmd('getBoardType .s drop');
    const boardName = BOARD_TYPES[boardType] ?? `unknown board type ${boardType}`;
    if ((opts.requireDEgg ?? true) && boardType !== DEGG_BOARD_TYPE) {
      throw new IcebootError(
        'unexpected',
        this.module,
        'getBoardType',
        `${this.module} is a ${boardName} board (type ${boardType}), not a D-Egg (113): check the port in the station file`,
      );
    }
    const softwareVersion = await this.intCmd('softwareVersion .s drop');
    const softwareId = (await this.cmd('printSoftwareId')).trim();
    const fpgaVersion = await this.fpgaVersion();
    this._info = { boardType, boardName, softwareVersion, softwareId, fpgaVersion, logState: log === '1' ? 1 : 0 };
  }

  /** Restores the log-output state found at open, then closes the socket (never throws). */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this._info.logState === 1) {
        await this.cmd('printLogOutput');
        await this.cmd('enableLogOutput');
      } else {
        await this.cmd('disableLogOutput');
      }
    } catch {
      // a dead or rebooting module must not keep the socket open
    }
    await this.closeTransport();
  }

  // ---- generic forms -------------------------------------------------------------------------

  /** A word that prints nothing on success; any output means it failed or is unknown. */
  async exec(line: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<void> {
    const out = await this.cmd(line, timeoutMs);
    if (out.trim() !== '') {
      throw new IcebootError(
        /: FAIL|ERROR/.test(out) ? 'failed' : 'unexpected',
        this.module,
        line,
        `${this.module} answered "${line}" with ${showReply(out)}, expected no output (does this iceboot version know the word?)`,
      );
    }
  }

  /** `<words> .s drop`: the integer the words left on the stack. */
  async intCmd(line: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<number> {
    return this.parsed(line, await this.cmd(line, timeoutMs), stackInt);
  }

  /** Applies `parse` to a reply; a malformed reply becomes an error naming module and command. */
  protected parsed<T>(line: string, out: string, parse: (text: string) => T): T {
    if (out.trim() === SLO_ADC_FAIL) {
      throw new IcebootError(
        'failed',
        this.module,
        line,
        `${this.module} answered "${line}" with "${SLO_ADC_FAIL}": the FPGA is not configured (configure it with flashConfigureFPGA)`,
      );
    }
    try {
      return parse(out);
    } catch (e) {
      if (!(e instanceof ReplyFormatError)) throw e;
      const kind = /: FAIL|ERROR/.test(out) ? 'failed' : 'unexpected';
      throw new IcebootError(kind, this.module, line, `unexpected reply from ${this.module} to "${line}": ${showReply(out)}; ${e.message}`);
    }
  }

  // ---- identity ------------------------------------------------------------------------------

  /** True when the module answers `.s` at all. */
  async ping(timeoutMs = REPLY_TIMEOUT_MS): Promise<boolean> {
    try {
      return (await this.cmd('.s', timeoutMs)).trim() !== '';
    } catch {
      return false;
    }
  }

  fpgaVersion(): Promise<number> {
    return this.intCmd('fpgaVersion .s drop');
  }
  softwareVersion(): Promise<number> {
    return this.intCmd('softwareVersion .s drop');
  }
  boardType(): Promise<number> {
    return this.intCmd('getBoardType .s drop');
  }
  async softwareId(): Promise<string> {
    return (await this.cmd('printSoftwareId')).trim();
  }
  /** 16 hex digits, compared with the ICM serial in the logbook */
  async icmId(): Promise<string> {
    return this.parsed('icmID', await this.cmd('icmID'), (t) => {
      const id = t.trim().toLowerCase().replace(/^0x/, '');
      if (!/^[0-9a-f]{16}$/.test(id)) throw new ReplyFormatError('16 hex digits');
      return id;
    });
  }
  /** 32 characters on current firmware (12 means old firmware) */
  async flashId(): Promise<string> {
    return this.parsed('flashID', await this.cmd('flashID'), (t) => {
      const id = t.trim();
      if (!/^[0-9A-Za-z]{12,32}$/.test(id)) throw new ReplyFormatError('a 12- to 32-character flash ID');
      return id;
    });
  }
  async mainboardId(): Promise<string> {
    return (await this.cmd('mainboardID')).trim();
  }
  async fpgaChipId(): Promise<string> {
    return (await this.cmd('printFPGAChipID')).trim();
  }
  /** the 60 MHz DOM clock (multiply by 4 for 240 MHz ticks) */
  async domClock(): Promise<number> {
    const line = 'domClock .s drop drop';
    const v = this.parsed(line, await this.cmd(line), (t) => {
      const s = parseStack(t);
      if (!s || s.length < 2) throw new ReplyFormatError('two integers as a stack dump like "<2> lo hi "');
      return s.slice(-2);
    });
    return (v[0] >>> 0) + v[1] * 2 ** 32;
  }

  // ---- interlocks (the client checks them itself before certain words, §3.2) -----------------

  async hvInterlock(): Promise<boolean> {
    return (await this.intCmd('readHVInterlock .s drop')) === 1;
  }
  async lidInterlock(): Promise<boolean> {
    return (await this.intCmd('readLIDInterlock .s drop')) === 1;
  }
  async flashInterlock(): Promise<boolean> {
    return (await this.intCmd('readFlashInterlock .s drop')) === 1;
  }
  async lightSensorPmtHvEnable(): Promise<boolean> {
    return (await this.intCmd('readLightSensorPmtHvEnable .s drop')) === 1;
  }
  async hvEnabled(ch: PmtChannel): Promise<boolean> {
    return (await this.intCmd(`${pmt(ch)} DEggHVEnabled .s drop`)) === 1;
  }

  private refuse(word: string, why: string): never {
    throw new IcebootError('interlock', this.module, word, `${this.module}: refusing "${word}": ${why}`);
  }

  // ---- high voltage --------------------------------------------------------------------------

  async enableHV(ch: PmtChannel): Promise<void> {
    const line = `${pmt(ch)} enableHV`;
    if (!(await this.hvInterlock()))
      this.refuse(line, 'the HV interlock is off (send pmt_hv_enable for this device on its ICM command port)');
    await this.exec(line);
  }

  async disableHV(ch: PmtChannel): Promise<void> {
    await this.exec(`${pmt(ch)} disableHV`);
  }

  /** Sets the HV (integer volts; 0 = off). The firmware ramps; read back after about 40 s of lab time. */
  async setHV(ch: PmtChannel, hvVolts: number): Promise<void> {
    if (!Number.isFinite(hvVolts) || hvVolts < 0 || hvVolts > 3000)
      throw new Error(`setHV: ${hvVolts} V is not a valid PMT high voltage (0-3000 V)`);
    const volts = Math.round(hvVolts);
    const line = `${pmt(ch)} ${volts} setDEggHV`;
    if (volts > 0) {
      if (!(await this.lightSensorPmtHvEnable()))
        this.refuse(line, 'the light sensor reports PMT HV disabled (pmt_hv_enable on the ICM, and check the module is dark)');
      const enabledLine = `${pmt(ch)} DEggHVEnabled .s drop`;
      const out = await this.cmd(enabledLine);
      const state = parseStack(out);
      if (!state || state.length === 0) {
        // iceboot < 0x30 has no DEggHVEnabled: the original clears the stack and goes on
        await this.cmd('sdrop');
      } else if (state[state.length - 1] !== 1) {
        this.refuse(line, `HV channel ${ch} is not enabled (call enableHV(${ch}) first)`);
      }
    }
    await this.exec(line);
  }

  /** HV monitor of one PMT: slow-ADC 8/10 (volts) and 9/11 (current, µA as FAT treats it). */
  async hvReadback(ch: PmtChannel): Promise<{ hvVolts: number; currentUa: number }> {
    const v = await this.readSloAdc(8 + 2 * pmt(ch));
    const i = await this.readSloAdc(9 + 2 * pmt(ch));
    return { hvVolts: v.value, currentUa: i.value };
  }

  // ---- slow ADC and sensors ------------------------------------------------------------------

  async readSloAdc(channel: number): Promise<SloAdcReading> {
    if (!Number.isInteger(channel) || channel < 0 || channel > 15) throw new Error(`slow-ADC channel must be 0-15, got ${channel}`);
    const line = `${channel} sloAdcReadChannel`;
    return this.parsed(line, await this.cmd(line), parseSloAdcLine);
  }

  async readAllSloAdc(): Promise<SloAdcReading[]> {
    const line = 'sloAdcReadAll';
    return this.parsed(line, await this.cmd(line), (t) => {
      const lines = t.split('\r\n').filter((l) => l.trim() !== '');
      if (lines.length !== 16) throw new ReplyFormatError(`16 slow-ADC lines, got ${lines.length}`);
      return lines.map(parseSloAdcLine);
    });
  }

  /** Mainboard temperature (slow-ADC channel 7). */
  async temperatureC(): Promise<number> {
    return (await this.readSloAdc(7)).value;
  }

  /** Light sensor (slow-ADC channel 6; about 0 in the dark). */
  async lightSensor(): Promise<number> {
    return (await this.readSloAdc(6)).value;
  }

  async pressure(): Promise<number> {
    const line = 'getPressure printPressure';
    return this.parsed(line, await this.cmd(line, 3000), (t) => {
      if (t.includes('ERROR')) throw new ReplyFormatError('a pressure reading (the sensor reported an I2C error)');
      return firstFloat(t);
    });
  }

  // ---- readout set-up ------------------------------------------------------------------------

  /** `<ord(letter)> <value> setDAC`; A = ch0 baseline, B = ch1 baseline. */
  async setDAC(channel: DacChannel, value: number): Promise<void> {
    if (!/^[A-H]$/.test(channel)) throw new Error(`DAC channel must be A-H, got ${channel}`);
    await this.exec(`${channel.charCodeAt(0)} ${u16(value, 'DAC value')} setDAC`);
  }

  setBaselineDac(ch: PmtChannel, value: number): Promise<void> {
    return this.setDAC(pmt(ch) === 0 ? 'A' : 'B', value);
  }

  async setConstReadout(ch: PmtChannel, nSamples: number, preConfig = 1): Promise<void> {
    if (!Number.isInteger(nSamples) || nSamples < 16 || nSamples % 4 !== 0)
      throw new Error(`readout length must be a multiple of 4 and at least 16 samples, got ${nSamples}`);
    await this.exec(`${pmt(ch)} ${preConfig} ${nSamples} setDEggConstReadout`);
  }

  /** ADC threshold trigger, with the pre-0x3A word as the fallback (as the original does). */
  async setAdcTriggerThreshold(ch: PmtChannel, thresholdAdc: number): Promise<void> {
    const out = await this.cmd(`${pmt(ch)} ${Math.round(thresholdAdc)} setDEggADCTriggerThreshold`);
    if (out.trim() !== '') {
      await this.cmd('sdrop');
      await this.exec(`${pmt(ch)} ${Math.round(thresholdAdc)} setDEggTriggerConditions`);
    }
  }

  async enableAdcTrigger(ch: PmtChannel): Promise<void> {
    const out = await this.cmd(`${pmt(ch)} enableDEggADCTrigger`);
    if (out.trim() !== '') {
      await this.cmd('sdrop');
      await this.exec(`${pmt(ch)} enableDEggTrigger`);
    }
  }

  async setFirCoefficients(ch: PmtChannel, coefficients: readonly number[]): Promise<void> {
    if (coefficients.length !== 16) throw new Error(`FIR filter needs 16 coefficients, got ${coefficients.length}`);
    await this.exec(`${pmt(ch)} ${coefficients.map((c) => Math.round(c)).join(' ')} setDEggFIRCoefficients`);
  }
  async setFirTriggerThreshold(ch: PmtChannel, threshold: number): Promise<void> {
    await this.exec(`${pmt(ch)} ${Math.round(threshold)} setDEggFIRTriggerThreshold`);
  }
  async enableFirTrigger(ch: PmtChannel): Promise<void> {
    await this.exec(`${pmt(ch)} enableDEggFIRTrigger`);
  }
  async enableExternalTrigger(ch: PmtChannel): Promise<void> {
    await this.exec(`${pmt(ch)} enableDEggExternalTrigger`);
  }
  async disableTriggers(ch: PmtChannel): Promise<void> {
    await this.exec(`${pmt(ch)} disableDEggTriggers`);
  }
  async setExtTrigSource(source: 'SMA' | 'ICM'): Promise<void> {
    await this.exec(`setDEggExtTrigSource${source}`);
  }

  /** `<a> <b> <mode> startDEggWfmStream` (§3.6); a new start replaces the running mode. */
  async startWfmStream(a: number, b: number, mode: number): Promise<void> {
    await this.exec(`${Math.round(a)} ${Math.round(b)} ${mode} startDEggWfmStream`);
  }
  startThresholdTrigStream(ch: PmtChannel, thresholdAdc: number): Promise<void> {
    return this.startWfmStream(pmt(ch), thresholdAdc, 0);
  }
  startSwTrigStream(ch: PmtChannel, periodMs: number): Promise<void> {
    return this.startWfmStream(pmt(ch), periodMs, 1);
  }
  startExternalTrigStream(ch: PmtChannel): Promise<void> {
    return this.startWfmStream(pmt(ch), 0, 2);
  }
  startDualChannelTrigStream(threshold0Adc: number, threshold1Adc: number): Promise<void> {
    return this.startWfmStream(threshold0Adc, threshold1Adc, 3);
  }
  startFirTrigStream(ch: PmtChannel, firThreshold: number): Promise<void> {
    return this.startWfmStream(pmt(ch), firThreshold, 4);
  }
  startDualChannelFirTrigStream(threshold0: number, threshold1: number): Promise<void> {
    return this.startWfmStream(threshold0, threshold1, 5);
  }

  // ---- data ----------------------------------------------------------------------------------

  /** The raw `<nBytes> readDEggWfmBlock` payload (exactly nBytes). */
  readWaveformBlockRaw(nBytes = 66000, timeoutMs = 10000): Promise<Buffer> {
    return this.rawCmd(`${nBytes} readDEggWfmBlock`, nBytes, timeoutMs);
  }

  /** `<nBytes> readDEggWfmBlock`, decoded; checks channel and length as FAT does when asked. */
  async readWaveformBlock(nBytes = 66000, opts: ReadWaveformOptions = {}): Promise<WaveformBlock> {
    const line = `${nBytes} readDEggWfmBlock`;
    const raw = await this.rawCmd(line, nBytes, opts.timeoutMs ?? 10000);
    const block = this.decoded(line, () => decodeWaveformBlock(raw));
    for (let i = 0; i < block.count; i++) {
      if (opts.expectChannel !== undefined && block.channel[i] !== opts.expectChannel) {
        throw new IcebootError(
          'unexpected',
          this.module,
          line,
          `${this.module}: waveform record ${i} of "${line}" is from channel ${block.channel[i]}, expected channel ${opts.expectChannel}`,
        );
      }
      if (opts.expectSamples !== undefined && block.sampleCount[i] !== opts.expectSamples) {
        throw new IcebootError(
          'unexpected',
          this.module,
          line,
          `${this.module}: waveform record ${i} of "${line}" has ${block.sampleCount[i]} samples, expected ${opts.expectSamples} (check setDEggConstReadout)`,
        );
      }
    }
    return block;
  }

  /**
   * One waveform through the stateful `readDEggWfmStream` (baselines, §3.7 A): a 4-byte word count,
   * then chunks of at most 2048 words. Returns a block of 0 records when the module had none.
   */
  async readWaveformFromStream(timeoutMs = 10000): Promise<WaveformBlock> {
    const line = 'readDEggWfmStream';
    const head = await this.rawCmd(line, 4, timeoutMs);
    const nWords = head.readUInt32LE(0);
    if (nWords > 1 << 20)
      throw new IcebootError(
        'unexpected',
        this.module,
        line,
        `${this.module}: "${line}" announced ${nWords} words, more than any waveform has`,
      );
    const record = Buffer.alloc(4 + 2 * nWords);
    head.copy(record, 0);
    for (let done = 0; done < nWords;) {
      const n = Math.min(nWords - done, 2048);
      const chunk = await this.rawCmd(line, 2 * n, timeoutMs);
      chunk.copy(record, 4 + 2 * done);
      done += n;
    }
    return this.decoded(line, () => decodeWaveformBlock(record));
  }

  /** `<lenBytes> <back> <fwd> readDEggChargeBlock`: blocks until lenBytes/14 stamps exist. */
  async readChargeBlock(lenBytes: number, back = 10, fwd = 15, timeoutMs = 120000): Promise<ChargeStamps> {
    checkChargeLength(lenBytes);
    const line = `${lenBytes} ${back} ${fwd} readDEggChargeBlock`;
    return decodeChargeStamps(await this.rawCmd(line, lenBytes, timeoutMs));
  }

  /** `<lenBytes> <first> <last> readDEggChargeBlockFixed`: charge over fixed bins (flasher). */
  async readChargeBlockFixed(lenBytes: number, first = 135, last = 160, timeoutMs = 10000): Promise<ChargeStamps> {
    checkChargeLength(lenBytes);
    const line = `${lenBytes} ${first} ${last} readDEggChargeBlockFixed`;
    return decodeChargeStamps(await this.rawCmd(line, lenBytes, timeoutMs));
  }

  private decoded<T>(line: string, decode: () => T): T {
    try {
      return decode();
    } catch (e) {
      throw new IcebootError(
        'unexpected',
        this.module,
        line,
        `${this.module}: the data of "${line}" is malformed: ${(e as Error).message}`,
      );
    }
  }

  // ---- scalers -------------------------------------------------------------------------------

  async enableScalers(ch: PmtChannel, periodUs = 100000, deadtimeCycles = 24): Promise<void> {
    await this.exec(`${pmt(ch)} ${Math.round(periodUs)} ${Math.round(deadtimeCycles)} enableScalers`);
  }

  /** Counts of the last complete scaler period (retried up to 3 times on a malformed reply, as FAT does). */
  async getScalerCount(ch: PmtChannel): Promise<number> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.intCmd(`${pmt(ch)} getScalerCount .s drop`);
      } catch (e) {
        if (!(e instanceof IcebootError) || e.kind !== 'unexpected') throw e;
        last = e;
      }
    }
    throw last;
  }

  // ---- flasher (LID-gated) -------------------------------------------------------------------

  private async needLid(line: string): Promise<void> {
    if (!(await this.lidInterlock()))
      this.refuse(line, 'the LID interlock is off (send lid_enable for this device on its ICM command port)');
  }
  async enableCalibrationPower(): Promise<void> {
    await this.needLid('enableCalibrationPower');
    await this.exec('enableCalibrationPower');
  }
  async disableCalibrationPower(): Promise<void> {
    await this.exec('disableCalibrationPower');
  }
  /** 2 = flasher ring, 1 = cameras */
  async setCalibrationSlavePowerMask(mask: number): Promise<void> {
    await this.needLid('setCalibrationSlavePowerMask');
    await this.exec(`${mask} setCalibrationSlavePowerMask`);
  }
  async setFlasherBias(bias: number): Promise<void> {
    await this.needLid('setFlasherBias');
    await this.exec(`${u16(bias, 'flasher bias')} setFlasherBias`);
  }
  /** 12 LEDs as bits 0x0001-0x0800 */
  async setFlasherMask(mask: number): Promise<void> {
    await this.needLid('setFlasherMask');
    await this.exec(`${mask & 0xfff} setFlasherMask`);
  }
  /** nPulses 0 = continuous; period in units of about 17.07 µs. Returns the hex value printed. */
  async icmStartCalTrig(nPulses: number, period: number): Promise<number> {
    const line = `${nPulses} ${period} icmStartCalTrig`;
    return this.parsed(line, await this.cmd(line), (t) => {
      const tok = t.trim();
      if (!/^(0x)?[0-9a-fA-F]+$/.test(tok)) throw new ReplyFormatError('a hex number');
      return parseInt(tok.replace(/^0x/i, ''), 16);
    });
  }
  async icmStopCalTrig(): Promise<void> {
    await this.cmd('icmStopCalTrig');
  }

  // ---- FPGA, flash, reboot -------------------------------------------------------------------

  async flashLS(): Promise<FlashFile[]> {
    return this.parsed('flashLS', await this.cmd('flashLS', 3000), parseFlashLs);
  }

  /**
   * `s" <file>" flashConfigureFPGA`; without a file, the last file of flashLS. Returns the file
   * used. The original ignored the output; a `FAIL` here means the image did not load.
   */
  async flashConfigureFPGA(file?: string, timeoutMs = 10000): Promise<string> {
    let name = file;
    if (name === undefined) {
      const files = await this.flashLS();
      name = files[files.length - 1]?.Name;
      if (!name) throw new IcebootError('failed', this.module, 'flashLS', `${this.module}: flashLS lists no FPGA image to configure from`);
    }
    if (name.includes('"')) throw new Error(`flash file name ${JSON.stringify(name)} cannot contain a double quote`);
    const line = `s" ${name}" flashConfigureFPGA`;
    const out = await this.cmd(line, timeoutMs);
    if (/: FAIL/.test(out)) {
      throw new IcebootError(
        'failed',
        this.module,
        line,
        `${this.module} could not configure its FPGA from ${name} (${showReply(out.trim())}): check flashLS for the file name`,
      );
    }
    return name;
  }

  /** `reboot` never answers with a prompt: wait `waitMs`, swallow the silence. Send `boot` next. */
  async reboot(waitMs = 3000): Promise<void> {
    await this.sendExpectingSilence('reboot', waitMs);
  }

  /** `boot`: leave the bootloader (harmless in iceboot). Retries `retries` times on silence. */
  async boot(timeoutMs = 3000, retries = 0): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.loose('boot', timeoutMs);
        return;
      } catch (e) {
        if (!(e instanceof IcebootError) || e.kind !== 'timeout' || attempt >= retries) throw e;
      }
    }
  }
}

function pmt(ch: number): PmtChannel {
  if (ch !== 0 && ch !== 1) throw new Error(`PMT channel must be 0 (lower) or 1 (upper), got ${ch}`);
  return ch;
}

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new Error(`${what} must be an integer 0-65535, got ${v}`);
  return v;
}

function checkChargeLength(lenBytes: number): void {
  if (!Number.isInteger(lenBytes) || lenBytes <= 0 || lenBytes % 14 !== 0)
    throw new Error(`charge block length must be a positive multiple of 14 bytes, got ${lenBytes}`);
}

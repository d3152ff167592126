import { CTRL2_FLASH, CTRL2_FPGA_CONFIG, CTRL2_HV, CTRL2_LID } from './interlocks.js';
import type { Word } from './words.js';
import { fail, flag } from './words-util.js';

/** Forth core, logging, identity, interlocks, flash and FPGA, ICM pass-through. */
export const BOARD_TYPE_DEGG = 113;

const int32 = (x: number) => (x % 2 ** 32) | 0;

export const CORE_WORDS: Array<[string, Word]> = [
  // ---- Forth core
  ['.s', (_m, io) => io.print(io.stack.dump())],
  ['drop', (_m, io) => void io.stack.pop('drop')],
  ['sdrop', (_m, io) => io.stack.clear()],
  ['true', (_m, io) => io.stack.push(-1)],
  ['false', (_m, io) => io.stack.push(0)],
  [
    'dup',
    (_m, io) => {
      const v = io.stack.pop('dup');
      io.stack.push(v);
      io.stack.push(v);
    },
  ],
  [
    'swap',
    (_m, io) => {
      const [a, b] = io.stack.popN('swap', 2);
      io.stack.push(b);
      io.stack.push(a);
    },
  ],
  ['.', (_m, io) => io.print(`${io.stack.pop('.')} `)],
  [
    'setecho',
    (m, io) => {
      m.echo = io.stack.pop('setecho') !== 0;
    },
  ],
  [
    'usleep',
    async (m, io) => {
      const us = io.stack.pop('usleep');
      if (us > 0) await m.ctx.clock.sleep(us / 1000, io.signal);
    },
  ],
  ['boot', () => undefined],

  // ---- log output
  [
    'disableLogOutput',
    (m, io) => {
      io.print(String(flag(m.logEnabled)));
      m.logEnabled = false;
    },
  ],
  [
    'enableLogOutput',
    (m, io) => {
      io.print(String(flag(m.logEnabled)));
      m.logEnabled = true;
    },
  ],
  ['printLogOutput', (m, io) => io.print(m.logLines.join('\r\n'))],
  ['clearLogOutput', (m) => void m.logLines.splice(0)],
  [
    'setLogLevel',
    (m, io) => {
      m.logLevel = io.stack.pop('setLogLevel');
    },
  ],
  ['getLogLevel', (m, io) => io.print(String(m.logLevel))],

  // ---- identity and system
  ['getBoardType', (_m, io) => io.stack.push(BOARD_TYPE_DEGG)],
  ['softwareVersion', (m, io) => io.stack.push(m.truth.softwareVersion)],
  ['printSoftwareId', (m, io) => io.print(m.truth.softwareId)],
  ['fpgaVersion', (m, io) => io.stack.push(m.fpgaVersion)],
  ['printFPGAChipID', (m, io) => io.print(m.fpgaConfigured ? m.truth.fpgaChipId : '0xffffffffffffffff')],
  ['flashID', (m, io) => io.print(m.truth.flashId)],
  ['icmID', (m, io) => io.print(m.truth.icmId)],
  ['mainboardID', (m, io) => io.print(m.truth.mainboardId)],
  ['stmid', (m, io) => io.print(m.truth.stmUuid)],
  [
    'domClock',
    (m, io) => {
      // a 60 MHz counter: a quarter of the 240 MHz sample clock
      const t = Math.floor(m.nowTick() / 4);
      io.stack.push(int32(t));
      io.stack.push(int32(Math.floor(t / 2 ** 32)));
    },
  ],
  ['getTick', (m, io) => io.print(String(Math.floor(m.nowMs() - m.t0Ms)))],
  ['heapUtilization', (_m, io) => io.print('heap utilization 23840/131072 = 18%')],
  ['printCommsLogs', (m, io) => io.print(`comms: rx lines ${m.rxLines} tx replies ${m.txReplies} errors 0`)],
  [
    'allocate',
    (_m, io) => {
      io.stack.pop('allocate');
      io.stack.push(0x20010000);
    },
  ],
  ['free', (_m, io) => void io.stack.pop('free')],

  // ---- interlocks (ICM CTRL2)
  ['readHVInterlock', (m, io) => io.stack.push(flag(m.interlock(CTRL2_HV)))],
  ['readLIDInterlock', (m, io) => io.stack.push(flag(m.interlock(CTRL2_LID)))],
  ['readFlashInterlock', (m, io) => io.stack.push(flag(m.interlock(CTRL2_FLASH)))],
  ['readFPGAConfigInterlock', (m, io) => io.stack.push(flag(m.interlock(CTRL2_FPGA_CONFIG)))],
  ['readLightSensorPmtHvEnable', (m, io) => io.stack.push(flag(m.interlock(CTRL2_HV)))],

  // ---- flash and FPGA
  [
    'flashLS',
    (m, io) => {
      const rows = m.flashFiles.map((f) => `${f.name.padEnd(32)} ${String(f.size).padStart(10)}`);
      io.print(['Name'.padEnd(32) + ' ' + 'Size'.padStart(10), '-'.repeat(32) + ' ' + '-'.repeat(10), ...rows].join('\r\n'));
    },
  ],
  ['flashConfigureFPGA', configureFpga('flashConfigureFPGA')],
  ['flashConfigureCycloneFPGA', configureFpga('flashConfigureCycloneFPGA')],
  [
    'unconfigureFPGA',
    (m) => {
      m.fpgaLoaded = false;
      m.acq.reset();
    },
  ],
  [
    'flashCat',
    (m, io) => {
      const name = io.stack.popString('flashCat');
      if (!m.flashFiles.some((f) => f.name === name)) throw fail('flashCat');
      io.print(`${name}: binary file`);
    },
  ],
  [
    'flashRemove',
    (m, io) => {
      const name = io.stack.popString('flashRemove');
      const i = m.flashFiles.findIndex((f) => f.name === name);
      if (i < 0 || !m.interlock(CTRL2_FLASH)) throw fail('flashRemove');
      m.flashFiles.splice(i, 1);
    },
  ],
  [
    'flashClear',
    (m) => {
      if (!m.interlock(CTRL2_FLASH)) throw fail('flashClear');
      m.flashFiles.splice(0);
    },
  ],
  [
    'ymodemFlashUpload',
    (_m, io) => {
      io.stack.popString('ymodemFlashUpload');
      throw fail('ymodemFlashUpload');
    },
  ],

  // ---- ICM pass-through
  ['icmReadCurrentTime', (m, io) => io.print(`0x${Math.floor(m.nowTick() / 4).toString(16)}`)],
  ['icmReadSyncCount', (m, io) => io.print(`0x${Math.floor((m.nowMs() - m.t0Ms) / 1000).toString(16)}`)],
  ['icmMsSinceSync', (m, io) => io.stack.push(Math.floor((m.nowMs() - m.t0Ms) % 1000))],
  [
    'icmReadReg',
    (m, io) => {
      const reg = io.stack.pop('icmReadReg');
      // 0xE2: ICM FPGA temperature, °C = (raw >> 4) * 503.975 / 4096 - 273.15
      const raw = reg === 0xe2 ? Math.round(((m.mainboardTemperatureC() + 6 + 273.15) * 4096) / 503.975) << 4 : reg === 0x01 ? m.ctrl2 : 0;
      io.stack.push(raw);
    },
  ],
  ['icmWriteReg', (_m, io) => void io.stack.popN('icmWriteReg', 2)],
  ['icmTxCnt', (m, io) => io.print(String(m.txReplies))],
  ['icmRxCnt', (m, io) => io.print(String(m.rxLines))],
];

function configureFpga(word: string): Word {
  return async (m, io) => {
    const name = io.stack.popString(word);
    const file = m.flashFiles.find((f) => f.name === name);
    if (!file) throw fail(word);
    // the FPGA takes about two seconds to load from flash
    await m.ctx.clock.sleep(2000, io.signal);
    if (m.flashFailsLeft() > 0) {
      m.flashFailures++;
      throw fail(word);
    }
    const v = /v0x([0-9a-f]+)/i.exec(name);
    m.loadedFpgaVersion = v ? parseInt(v[1], 16) : m.truth.fpgaVersion;
    m.fpgaLoaded = true;
    m.fpgaFlashedSinceBoot = true;
    m.acq.reset();
    m.log(`FPGA configured from ${name}`);
  };
}

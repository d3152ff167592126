import { ForthError } from './forth.js';
import { HV_LOAD_MOHM } from './hv.js';
import { CTRL2_HV } from './interlocks.js';
import type { MainboardSim } from './mainboard.js';
import type { Word } from './words.js';
import { fail, flag, popCh } from './words-util.js';

/** High voltage, the slow ADC and the I2C sensors (reference/iceboot-protocol.md §3.3-3.4). */

interface SloChannel {
  name: string;
  unit: string;
  digits: number;
  read(m: MainboardSim): number;
}

const noisy = (m: MainboardSim, v: number, sigma: number) => v + m.rng.normal(0, sigma);
const supplyMa = (i: number) => (m: MainboardSim) => noisy(m, m.truth.supplyCurrentsMa[i], m.truth.supplyCurrentsMa[i] * 0.01);
const supplyV = (i: number) => (m: MainboardSim) => noisy(m, m.truth.supplyVoltagesV[i], 0.002);
const hvReadback = (ch: 0 | 1) => (m: MainboardSim) => Math.max(0, noisy(m, m.hvVolts(ch), 1));
const hvCurrent = (ch: 0 | 1) => (m: MainboardSim) => Math.max(0, noisy(m, m.hvVolts(ch) / HV_LOAD_MOHM, 0.05));

/** the supply rails in the order of truth.supplyCurrentsMa (and supplyVoltagesV, whose 0 is +1V8_A) */
const RAILS = ['1V1', '1V35', '1V8', '2V5', '3V3'];

const hvChannels = (ch: 0 | 1): SloChannel[] => [
  { name: `SLO_HVS${ch}_VMON`, unit: 'V', digits: 1, read: hvReadback(ch) },
  { name: `SLO_HVS${ch}_IMON`, unit: 'uA', digits: 2, read: hvCurrent(ch) },
];

/** Channels 0-4 the supply currents, 5 +1V8_A, 6 light, 7 temperature, 8-11 HV, 12-15 the other supply voltages. */
export const SLO_CHANNELS: SloChannel[] = [
  ...RAILS.map((rail, i) => ({ name: `LVS_SLO_IMON_${rail}`, unit: 'mA', digits: 0, read: supplyMa(i) })),
  { name: '+1V8_A', unit: 'V', digits: 3, read: supplyV(0) },
  { name: 'SLO_LIGHT_SENSOR', unit: 'mV', digits: 2, read: (m) => Math.abs(noisy(m, 0.3, 0.1)) },
  { name: 'SLO_TEMPERATURE', unit: 'C', digits: 2, read: (m) => noisy(m, m.mainboardTemperatureC(), 0.05) },
  ...hvChannels(0),
  ...hvChannels(1),
  ...RAILS.filter((rail) => rail !== '1V8').map((rail, i) => ({ name: `+${rail}`, unit: 'V', digits: 3, read: supplyV(i + 1) })),
];

/** `channel  3 LVS_SLO_IMON_2V5                    0 mA` (the value is token 3) */
export function sloLine(m: MainboardSim, ch: number): string {
  const c = SLO_CHANNELS[ch];
  const value = c.read(m).toFixed(c.digits);
  return `channel ${String(ch).padStart(2)} ${c.name.padEnd(24)} ${value.padStart(12)} ${c.unit}`;
}

const xyz = (v: [number, number, number]) => `(${v.map((x) => x.toFixed(3)).join(', ')})`;

export const SLOW_WORDS: Array<[string, Word]> = [
  // ---- HV
  [
    'enableHV',
    (m, io) => {
      const ch = popCh(io, 'enableHV');
      if (!m.interlock(CTRL2_HV)) throw fail('enableHV');
      m.hv[ch].setEnabled(m.nowMs(), true, true);
      m.log(`HV${ch} enabled`);
    },
  ],
  [
    'disableHV',
    (m, io) => {
      const ch = popCh(io, 'disableHV');
      m.hv[ch].setEnabled(m.nowMs(), m.interlock(CTRL2_HV), false);
      m.log(`HV${ch} disabled`);
    },
  ],
  ['DEggHVEnabled', (m, io) => io.stack.push(flag(m.hv[popCh(io, 'DEggHVEnabled')].enabled))],
  [
    'setDEggHV',
    (m, io) => {
      const volts = io.stack.pop('setDEggHV');
      const ch = popCh(io, 'setDEggHV');
      if (volts < 0 || volts > 2000) throw fail('setDEggHV');
      m.hv[ch].set(m.nowMs(), m.interlock(CTRL2_HV), volts);
      m.log(`HV${ch} set to ${volts} V`);
    },
  ],

  // ---- slow ADC
  [
    'sloAdcReadChannel',
    (m, io) => {
      // the slow ADC sits behind the FPGA: without it the word fails whatever its argument
      if (!m.fpgaConfigured) {
        if (io.stack.cells.length) io.stack.pop('sloAdcReadChannel');
        throw fail('sloAdcReadChannel');
      }
      const ch = io.stack.pop('sloAdcReadChannel');
      if (ch < 0 || ch > 15) throw fail('sloAdcReadChannel');
      io.print(sloLine(m, ch));
    },
  ],
  [
    'sloAdcReadAll',
    (m, io) => {
      if (!m.fpgaConfigured) throw fail('sloAdcReadChannel');
      io.print(SLO_CHANNELS.map((_c, i) => sloLine(m, i)).join('\r\n'));
    },
  ],

  // ---- I2C sensors
  [
    'getPressure',
    (m) => {
      // gas law: the sealed sphere's pressure follows the temperature inside
      const tK = m.mainboardTemperatureC() - m.truth.selfHeatingC + 273.15;
      m.pressureReadingHpa = noisy(m, (m.truth.pressureHpa * tK) / 293.15, 0.3);
    },
  ],
  [
    'printPressure',
    (m, io) => {
      if (m.pressureReadingHpa === null) throw new ForthError('printPressure: ERROR no reading');
      io.print(m.pressureReadingHpa.toFixed(2));
    },
  ],
  ['getAccelerationXYZ', () => undefined],
  ['printAccelerationXYZ', (m, io) => io.print(xyz([noisy(m, 0.01, 0.005), noisy(m, -0.02, 0.005), noisy(m, 9.806, 0.01)]))],
  ['getBFieldXYZ', () => undefined],
  ['printBFieldXYZ', (m, io) => io.print(xyz([noisy(m, 0.21, 0.003), noisy(m, -0.05, 0.003), noisy(m, 0.43, 0.003)]))],
  ['getAccelerationTemperature', (m) => void (m.sensorTempC = noisy(m, m.mainboardTemperatureC() + 0.5, 0.1))],
  ['getBFieldTemperature', (m) => void (m.sensorTempC = noisy(m, m.mainboardTemperatureC() + 0.3, 0.1))],
  ['getPressureSensorTemperature', (m) => void (m.sensorTempC = noisy(m, m.mainboardTemperatureC() - 0.2, 0.1))],
  ['printSensorsTemperature', (m, io) => io.print(m.sensorTempC === null ? 'ERROR no reading' : m.sensorTempC.toFixed(2))],
  ['getLightSensor', (m, io) => io.print(Math.abs(noisy(m, 0.3, 0.1)).toFixed(3))],
  ['getTemperature', (m, io) => io.print(noisy(m, m.mainboardTemperatureC(), 0.05).toFixed(2))],
];

import { FilterWheel } from '../../lab/instruments/filter-wheel.js';
import { FreezerController } from '../../lab/instruments/freezer.js';
import { FunctionGenerator } from '../../lab/instruments/function-generator.js';
import { HumiditySensor } from '../../lab/instruments/humidity.js';
import { Thermometer } from '../../lab/instruments/thermometer.js';
import type { CheckItem } from '../../records/check-results.js';
import type { Workspace } from '../../station/workspace.js';

/**
 * `fat check peripherals` (the original simple_check.py): thermometer, both humidity sensors, both
 * filter wheels, the function generator, and the freezer controller when there is one. Each item
 * has a reading, a tolerance and a verdict.
 */
export const THERMOMETER_RANGE_C = [-60, 45] as const;

const CHECK = 'peripherals';

interface Outcome {
  reading: unknown;
  ok: boolean;
  message: string;
  instrument?: CheckItem['instrument'];
}

async function item(subject: string, tolerance: string, fn: () => Promise<Outcome>): Promise<CheckItem> {
  try {
    const r = await fn();
    const verdict = r.ok ? 'pass' : 'fail';
    return { check: CHECK, subject, tolerance, reading: r.reading, verdict, message: r.message, instrument: r.instrument };
  } catch (e) {
    return { check: CHECK, subject, tolerance, reading: null, verdict: 'fail', message: (e as Error).message };
  }
}

async function using<T extends { close(): Promise<void> }, R>(open: Promise<T>, fn: (x: T) => Promise<R>): Promise<R> {
  const x = await open;
  try {
    return await fn(x);
  } finally {
    await x.close();
  }
}

export async function checkPeripherals(ws: Workspace, clockSleep: (ms: number) => Promise<void>): Promise<CheckItem[]> {
  const st = ws.station;
  const items: Array<Promise<CheckItem>> = [];

  items.push(thermometerItem(st));

  st.humidity.forEach((h) => items.push(humidityItem(h)));

  st.filter_wheels.forEach((w, i) => items.push(filterWheelItem(w, i)));

  items.push(functionGeneratorItem(st, clockSleep));

  if (st.freezer.mode === 'controller' && st.freezer.address) {
    const address = st.freezer.address;
    items.push(freezerItem(address));
  }

  const results = await Promise.all(items);
  results.push({
    check: CHECK,
    subject: 'laser power supply',
    tolerance: 'on (checked by hand)',
    reading: null,
    verdict: 'info',
    message: 'confirm by hand that the laser power supply is ON, then note it in the FAT logbook',
  });
  if (st.freezer.mode === 'manual') {
    results.push({
      check: CHECK,
      subject: 'freezer',
      tolerance: 'on',
      reading: null,
      verdict: 'info',
      message: 'Please TURN ON the freezer if it is not already!',
    });
  }
  return results;
}

type Station = Workspace['station'];

function thermometerItem(st: Station): Promise<CheckItem> {
  const [lo, hi] = THERMOMETER_RANGE_C;
  return item('thermometer (TM-947SD)', `4 channels, each ${lo}..${hi} °C`, () =>
    using(Thermometer.connect(st.thermometer.address), async (t) => {
      const r = await t.readAll();
      const bad = Object.entries(r).filter(([, c]) => !(c >= lo && c <= hi));
      const names = (ch: string) => st.thermometer.channels[ch] ?? `channel ${ch}`;
      return {
        reading: r,
        instrument: { kind: 'thermometer', address: st.thermometer.address, identity: 'Lutron TM-947SD' },
        ok: Object.keys(r).length === 4 && bad.length === 0,
        message:
          Object.entries(r)
            .map(([ch, c]) => `${names(ch)} ${c.toFixed(1)} °C`)
            .join(', ') + (bad.length ? `; implausible: ${bad.map(([ch]) => names(ch)).join(', ')}` : ''),
      };
    }),
  );
}

function humidityItem(h: Station['humidity'][number]): Promise<CheckItem> {
  const [lo, hi] = THERMOMETER_RANGE_C;
  return item(`humidity sensor ${h.name}`, 'relative humidity 0..100 %, temperature -60..45 °C', () =>
    using(HumiditySensor.connect(h.address, { name: `humidity sensor ${h.name}` }), async (s) => {
      const identity = await s.identify();
      const r = await s.read();
      const ok = r.relativeHumidityPct >= 0 && r.relativeHumidityPct <= 100 && r.temperatureC >= lo && r.temperatureC <= hi;
      return {
        reading: r,
        ok,
        message: `${r.relativeHumidityPct.toFixed(1)} %RH at ${r.temperatureC.toFixed(1)} °C`,
        instrument: { kind: 'humidity', address: h.address, identity },
      };
    }),
  );
}

function filterWheelItem(w: Station['filter_wheels'][number], i: number): Promise<CheckItem> {
  return item(`filter wheel ${i}`, `answers; ${w.strengths.length} positions as in station.toml`, () =>
    using(FilterWheel.connect(w.address, { name: `filter wheel ${i}`, strengths: w.strengths }), async (fw) => {
      const id = await fw.identify();
      const count = await fw.positionCount();
      const pos = await fw.position();
      const strength = await fw.strength();
      const ok = count === w.strengths.length;
      return {
        reading: { identity: id, positions: count, position: pos, strength, strengths: fw.validStrengths() },
        instrument: { kind: 'filter-wheel', address: w.address, identity: id },
        ok,
        message: ok
          ? `${id}; position ${pos} (transmission ${strength}); strengths [${fw.validStrengths().join(', ')}]`
          : `the wheel has ${count} positions but station.toml lists ${w.strengths.length} strengths`,
      };
    }),
  );
}

function functionGeneratorItem(st: Station, clockSleep: (ms: number) => Promise<void>): Promise<CheckItem> {
  return item('function generator (laser trigger)', 'identifies; output switches on and off; empty error queue', () =>
    using(FunctionGenerator.connect(st.function_generator.address), async (fg) => {
      const id = await fg.identify();
      await fg.startup();
      await clockSleep(2000);
      const onAfterStartup = await fg.outputOn();
      await fg.disableOutput();
      const offAtEnd = !(await fg.outputOn());
      const errors = await fg.errors();
      const ok = onAfterStartup && offAtEnd && errors.length === 0;
      return {
        reading: { identity: id, onAfterStartup, offAtEnd, errors },
        instrument: { kind: 'function-generator', address: st.function_generator.address, identity: id },
        ok,
        message: ok
          ? `${id}; output switched on and off; laser left off`
          : `${id}; ${!onAfterStartup ? 'output did not switch on; ' : ''}${!offAtEnd ? 'output did not switch off; ' : ''}${errors.map((e) => `error ${e.code} "${e.message}"`).join(', ')}`,
      };
    }),
  );
}

function freezerItem(address: string): Promise<CheckItem> {
  return item('freezer controller', 'answers with a set point and an air temperature', () =>
    using(FreezerController.connect(address), async (f) => {
      const identity = await f.identify();
      const sp = await f.setpoint();
      const t = await f.temperature();
      return {
        reading: { setpointC: sp, temperatureC: t },
        instrument: { kind: 'freezer', address, identity },
        ok: true,
        message: `set point ${sp.toFixed(1)} °C, air ${t.toFixed(1)} °C`,
      };
    }),
  );
}

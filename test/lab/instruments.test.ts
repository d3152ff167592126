import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import { FilterWheel } from '../../src/lab/instruments/filter-wheel.js';
import { FreezerController } from '../../src/lab/instruments/freezer.js';
import { FunctionGenerator } from '../../src/lab/instruments/function-generator.js';
import { HumiditySensor } from '../../src/lab/instruments/humidity.js';
import { Thermometer, Tm947Parser } from '../../src/lab/instruments/thermometer.js';
import type { SimContext } from '../../src/sim/context.js';
import { FaultSet } from '../../src/sim/faults.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { startPeripherals } from '../../src/sim/peripherals/index.js';

/** icefat's instrument drivers against the simulated lab, over real sockets. */
const BASE = 23200;
const HOST = '127.0.0.1';
/** the strengths tables of the simulated station's station file */
const STRENGTHS = [
  [1.0, 0.32, 0.25, 0.1, 0.05, 0.01],
  [1.0, 0.5, 0.32, 0.1, 0.05, 0.01],
];
const FAST = { timeoutMs: 300 };

function makeCtx(base: number): SimContext & { clock: VirtualClock } {
  const clock = new VirtualClock();
  return { clock, seed: 1, ports: simPorts(base), faults: new FaultSet(), lab: new LabState(clock), host: HOST, log: () => {} };
}

function useLab(base: number) {
  const ctx = makeCtx(base);
  let lab: { close(): Promise<void> } | undefined;
  beforeAll(async () => {
    lab = await startPeripherals(ctx);
  });
  afterAll(async () => {
    await lab?.close();
  });
  return ctx;
}

const tcp = (port: number) => `tcp://${HOST}:${port}`;

describe('function generator driver', () => {
  const ctx = useLab(BASE);

  it('identifies the generator, starts the laser trigger as the original did, and stops it', async () => {
    const fg = await FunctionGenerator.connect(tcp(ctx.ports.scpi));
    try {
      expect(await fg.identify()).toMatch(/^TEKTRONIX,AFG3021B,/);
      await fg.reset();
      expect(ctx.lab.laserFiring).toBe(false);
      await fg.startup();
      expect(ctx.lab.laserFiring).toBe(true);
      expect(await fg.outputOn()).toBe(true);
      expect(await fg.frequency()).toBe(1000);
      expect(await fg.amplitude()).toBe(3);
      expect(await fg.shape()).toBe('SQU');
      await fg.setFrequency(100);
      expect(ctx.lab.fg.frequencyHz).toBe(100);
      await fg.setBurst(2);
      expect(ctx.lab.fg.burstOn && ctx.lab.fg.burstCycles === 2).toBe(true);
      await fg.setBurst(null);
      await fg.disableOutput();
      expect(ctx.lab.laserFiring).toBe(false);
      expect(await fg.outputOn()).toBe(false);
    } finally {
      await fg.close();
    }
  });

  it('works through the Prologix GPIB-Ethernet adapter', async () => {
    const address = `prologix://${HOST}:${ctx.ports.prologix}/10`;
    const fg = await FunctionGenerator.connect(address);
    try {
      expect(fg.address).toBe(address);
      expect(await fg.identify()).toMatch(/AFG3021B/);
      await fg.setFrequency(500);
      expect(await fg.frequency()).toBe(500);
      // two callers sharing the driver get their own answers
      const [idn, hz, on] = await Promise.all([fg.identify(), fg.frequency(), fg.outputOn(), fg.setShape('SQU')]);
      expect([idn.slice(0, 9), hz, on]).toEqual(['TEKTRONIX', 500, false]);
      await fg.enableOutput();
      expect(ctx.lab.laserFiring).toBe(true);
      await fg.disableOutput();
      expect(ctx.lab.laserFiring).toBe(false);
    } finally {
      await fg.close();
    }
  });

  it('a wrong GPIB address gives an error naming the address', async () => {
    const address = `prologix://${HOST}:${ctx.ports.prologix}/5`;
    const fg = await FunctionGenerator.connect(address, FAST);
    await expect(fg.identify()).rejects.toThrow(`function generator at ${address} did not answer \`*IDN?\` within 300 ms`);
    await fg.close();
  });

  it('an error in the SCPI queue fails the setting and names the code', async () => {
    const fg = await FunctionGenerator.connect(`prologix://${HOST}:${ctx.ports.prologix}/10`);
    try {
      ctx.faults.add({ kind: 'scpi-error' });
      await expect(fg.setFrequency(250)).rejects.toThrow(
        /function generator at prologix:\/\/127\.0\.0\.1:\d+\/10 rejected `source1:frequency 250`: -222,"Data out of range"/,
      );
      ctx.faults.remove('scpi-error');
      await fg.setFrequency(250); // the queue was emptied and the generator takes settings again
      expect(await fg.frequency()).toBe(250);
      await expect(fg.setFrequency(1e9)).rejects.toThrow(/-222/); // beyond the AFG3021B's 25 MHz
      expect(await fg.errors()).toEqual([]);
    } finally {
      await fg.close();
    }
  });

  it('garbage someone sent to the Prologix port is cleared when a session opens, not blamed on the next setting', async () => {
    // another client on the adapter sends lines the generator cannot parse: its error queue fills
    const junk = net.connect(ctx.ports.prologix, HOST);
    await new Promise((r) => junk.once('connect', r));
    junk.write('++addr 10\n' + Array.from({ length: 40 }, (_, i) => `GARBAGE${i} \x01\x02 ???\n`).join(''));
    // the generator's status byte, asked on its own SCPI socket, says when its error queue holds them
    const raw = net.connect(ctx.ports.scpi, HOST);
    const statusByte = () =>
      new Promise<string>((resolve) => {
        raw.once('data', (d: Buffer) => resolve(d.toString().trim()));
        raw.write('*STB?\n');
      });
    try {
      for (let i = 0; (await statusByte()) !== '4'; i++) expect(i, 'the garbage reached the error queue').toBeLessThan(500);
    } finally {
      junk.destroy();
      raw.destroy();
    }
    const fg = await FunctionGenerator.connect(`prologix://${HOST}:${ctx.ports.prologix}/10`);
    try {
      await fg.setFrequency(300);
      expect(await fg.frequency()).toBe(300);
    } finally {
      await fg.close();
    }
  });

  it('a silent generator gives an error naming its address and what it was asked', async () => {
    const fg = await FunctionGenerator.connect(tcp(ctx.ports.scpi), FAST);
    ctx.faults.add({ kind: 'instrument-timeout', target: 'fg' });
    try {
      await expect(fg.identify()).rejects.toThrow(`function generator at ${tcp(ctx.ports.scpi)} did not answer \`*IDN?\` within 300 ms`);
    } finally {
      ctx.faults.remove('instrument-timeout');
      await fg.close();
    }
  });

  it('an address nobody listens on says so', async () => {
    await expect(FunctionGenerator.connect(tcp(BASE + 98))).rejects.toThrow(
      /function generator at tcp:\/\/127\.0\.0\.1:\d+: cannot connect .*connection refused/,
    );
  });
});

describe('filter wheel driver', () => {
  const ctx = useLab(BASE + 50);

  it('both wheels move by strength and the light reaching the D-Eggs follows', async () => {
    const [w0, w1] = await Promise.all(
      [0, 1].map((i) => FilterWheel.connect(tcp(ctx.ports.filterWheel(i)), { strengths: STRENGTHS[i], name: `filter wheel ${i}` })),
    );
    try {
      expect(await w0.identify()).toMatch(/FW102C/);
      expect(await w0.positionCount()).toBe(6);
      expect(w1.validStrengths()).toEqual([0.01, 0.05, 0.1, 0.32, 0.5, 1.0]);
      await w0.setStrength(0.25);
      await w1.setStrength(0.5);
      expect(await w0.position()).toBe(3);
      expect(await w1.strength()).toBe(0.5);
      expect(ctx.lab.filterTransmission()).toBeCloseTo(0.125);
      await w0.setPosition(6);
      expect(ctx.lab.filterTransmission()).toBeCloseTo(0.005);
      await w0.setStrength(1.0);
      await w1.setStrength(1.0);
      expect(ctx.lab.filterTransmission()).toBe(1);
      await expect(w0.setStrength(0.5)).rejects.toThrow(
        /filter wheel 0 at tcp:\/\/127\.0\.0\.1:\d+ has no filter with transmission 0\.5 \(it has 0\.01, 0\.05, 0\.1, 0\.25, 0\.32, 1\)/,
      );
      await expect(w1.command('pos=9')).rejects.toThrow(/filter wheel 1 at .* refused `pos=9`: Command error CMD_ARG_INVALID/);
    } finally {
      await w0.close();
      await w1.close();
    }
  });

  it('a silent wheel gives an error naming the wheel and its address', async () => {
    const w0 = await FilterWheel.connect(tcp(ctx.ports.filterWheel(0)), { ...FAST, name: 'filter wheel 0' });
    ctx.faults.add({ kind: 'instrument-timeout', target: 'fw0' });
    try {
      await expect(w0.position()).rejects.toThrow(
        `filter wheel 0 at ${tcp(ctx.ports.filterWheel(0))} did not answer \`pos?\` within 300 ms`,
      );
    } finally {
      ctx.faults.remove('instrument-timeout');
      await w0.close();
    }
  });
});

describe('thermometer, humidity and freezer drivers', () => {
  const ctx = useLab(BASE + 100);

  it('the thermometer gives four plausible channels at room temperature', async () => {
    const th = await Thermometer.connect(tcp(ctx.ports.thermometer));
    try {
      const t = await th.readAll();
      for (const ch of [1, 2, 3, 4] as const) {
        expect(t[ch]).toBeGreaterThan(18);
        expect(t[ch]).toBeLessThan(25);
      }
    } finally {
      await th.close();
    }
  });

  it('the humidity sensors read a room-temperature freezer', async () => {
    for (const i of [0, 1]) {
      const h = await HumiditySensor.connect(tcp(ctx.ports.humidity(i)));
      try {
        expect(await h.identify()).toMatch(/RHT-100/);
        const r = await h.read();
        expect(r.relativeHumidityPct).toBeGreaterThan(35);
        expect(r.relativeHumidityPct).toBeLessThan(60);
        expect(Math.abs(r.temperatureC - 21)).toBeLessThan(2);
      } finally {
        await h.close();
      }
    }
  });

  it('the freezer takes a set point, refuses an impossible one, and cools over lab hours', async () => {
    const fz = await FreezerController.connect(tcp(ctx.ports.freezer));
    const th = await Thermometer.connect(tcp(ctx.ports.thermometer));
    const h2 = await HumiditySensor.connect(tcp(ctx.ports.humidity(1)));
    try {
      expect(await fz.identify()).toMatch(/FREEZER-CTL/);
      await fz.setSetpoint(-40);
      expect(await fz.setpoint()).toBe(-40);
      await expect(fz.setSetpoint(-70)).rejects.toThrow(
        `freezer controller at ${tcp(ctx.ports.freezer)} refused \`SP -70.0\`: set point -70.0 C outside -50.0..+30.0 C`,
      );
      expect(await fz.setpoint()).toBe(-40);

      await ctx.clock.advance(3 * 3600_000); // one time constant: about 2/3 of the way
      const mid = await fz.temperature();
      expect(mid).toBeLessThan(-10);
      expect(mid).toBeGreaterThan(-30);

      await ctx.clock.advance(15 * 3600_000);
      expect(await fz.temperature()).toBeCloseTo(-40, 0);
      const t = await th.readAll();
      expect(t[4]).toBeCloseTo(-40, 0);
      expect(t[1]).toBeGreaterThan(t[4]); // the D-Egg surface stays a little warmer than the air
      const rh = await h2.read();
      expect(Math.abs(rh.temperatureC + 40)).toBeLessThan(2);
      expect(rh.relativeHumidityPct).toBeLessThan(25); // the cold freezer dries its air
    } finally {
      await Promise.all([fz.close(), th.close(), h2.close()]);
    }
  });

  it('silent thermometer, humidity sensor and freezer give errors naming their addresses', async () => {
    const th = await Thermometer.connect(tcp(ctx.ports.thermometer), FAST);
    const h1 = await HumiditySensor.connect(tcp(ctx.ports.humidity(0)), { ...FAST, name: 'humidity sensor H1' });
    const fz = await FreezerController.connect(tcp(ctx.ports.freezer), FAST);
    for (const target of ['thermometer', 'humidity0', 'freezer']) ctx.faults.add({ kind: 'instrument-timeout', target });
    try {
      await expect(th.readAll(2000)).rejects.toThrow(`thermometer at ${tcp(ctx.ports.thermometer)} sent nothing for 300 ms`);
      await expect(h1.read()).rejects.toThrow(`humidity sensor H1 at ${tcp(ctx.ports.humidity(0))} did not answer \`READ?\` within 300 ms`);
      await expect(fz.temperature()).rejects.toThrow(
        `freezer controller at ${tcp(ctx.ports.freezer)} did not answer \`PV?\` within 300 ms`,
      );
    } finally {
      ctx.faults.remove('instrument-timeout');
      await Promise.all([th.close(), h1.close(), fz.close()]);
    }
  });
});

/** A TM-947SD data word, written out byte by byte as the manual describes it. */
function word(channel: number, text: string): Buffer {
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`4${channel}01${text}`, 'latin1'), Buffer.from([0x0d])]);
}

describe('TM-947SD stream parsing', () => {
  it('skips garbage, cut-off words and stray start bytes, in any chunking', () => {
    const stream = Buffer.concat([
      Buffer.from('\x00\xffjunk\r\n', 'latin1'),
      word(3, '1100000123').subarray(5), // joined mid-word
      word(1, '0100000215'), // +21.5
      Buffer.from([0x02, 0x34, 0x32]), // a word cut off by a stray start byte...
      word(2, '1100000387'), // -38.7
      Buffer.from('4201', 'latin1'),
      word(3, '0200001234'), // +12.34
      word(4, '12x0000000').subarray(0, 16), // not digits: dropped
      word(4, '1000000040'), // -40
    ]);
    for (const chunkSize of [1, 3, 7, stream.length]) {
      const parser = new Tm947Parser();
      const got: Array<[number, number]> = [];
      for (let i = 0; i < stream.length; i += chunkSize) {
        parser.push(stream.subarray(i, i + chunkSize), (ch, c) => got.push([ch, c]));
      }
      expect(got).toEqual([
        [1, 21.5],
        [2, -38.7],
        [3, 12.34],
        [4, -40],
      ]);
      expect(parser.rejected).toBe(2);
    }
  });

  it('the driver reads through garbage on the line', async () => {
    // a far end that is not the simulator: a line full of noise with good words in between
    const server = net.createServer((s) => {
      s.write(Buffer.from('\x13\x88garbage\x02\x02', 'latin1'));
      let ch = 1;
      const timer = setInterval(() => {
        s.write(Buffer.concat([Buffer.from('~~', 'latin1'), word(ch, ch % 2 ? '0100000205' : '1100000401')]));
        ch = (ch % 4) + 1;
      }, 5);
      s.on('close', () => clearInterval(timer));
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => server.listen(BASE + 190, HOST, () => r()));
    const th = await Thermometer.connect(tcp(BASE + 190));
    try {
      expect(await th.readAll()).toEqual({ 1: 20.5, 2: -40.1, 3: 20.5, 4: -40.1 });
    } finally {
      await th.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/clock/clock.js';
import { FilterWheel } from '../../src/lab/instruments/filter-wheel.js';
import { Thermometer } from '../../src/lab/instruments/thermometer.js';
import type { SimContext } from '../../src/sim/context.js';
import { FaultSet } from '../../src/sim/faults.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { startPeripherals } from '../../src/sim/peripherals/index.js';

/**
 * The serial path end to end: socat turns a simulated instrument's TCP stream into a real
 * pseudo-terminal, and the driver opens it as serial:///path?baud=115200 through serialport,
 * exactly as it would open /dev/ttyUSB0 in the lab. The CI installs socat.
 */
const BASE = 23400;
const socatAvailable = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

const children: ChildProcess[] = [];

async function ptyFor(port: number, tag: string): Promise<string> {
  const link = `/tmp/icefat-${tag}-${process.pid}-${Date.now()}`;
  const child = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  children.push(child);
  const t0 = Date.now();
  while (!fs.existsSync(link)) {
    if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() - t0 > 5000) throw new Error(`socat did not create ${link} within 5 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return link;
}

describe('drivers over a real serial port (socat pseudo-terminal)', () => {
  // lab time 10x wall time: a wheel step of 0.7 s takes 70 ms, so moves really take time
  const clock = new ScaledClock(10);
  const ctx: SimContext = {
    clock,
    seed: 1,
    ports: simPorts(BASE),
    faults: new FaultSet(),
    lab: new LabState(clock),
    host: '127.0.0.1',
    log: () => {},
  };
  let lab: { close(): Promise<void> } | undefined;

  beforeAll(async () => {
    lab = await startPeripherals(ctx);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill();
    await lab?.close();
  });

  it('socat is installed (the CI installs it; apt-get install socat)', () => {
    expect(socatAvailable).toBe(true);
  });

  it('the FW102C driver sets and reads back the position through a tty', async () => {
    const tty = await ptyFor(ctx.ports.filterWheel(1), 'fw1');
    const wheel = await FilterWheel.connect(`serial://${tty}?baud=115200`, {
      strengths: [1.0, 0.5, 0.32, 0.1, 0.05, 0.01],
      name: 'filter wheel 1',
    });
    try {
      expect(wheel.address).toBe(`serial://${tty}?baud=115200`);
      expect(await wheel.identify()).toMatch(/FW102C/);
      await wheel.setPosition(4);
      expect(await wheel.position()).toBe(4);
      expect(ctx.lab.filterWheels[1].position).toBe(4);
      await wheel.setStrength(0.5);
      expect(await wheel.position()).toBe(2);
      expect(ctx.lab.filterTransmission()).toBeCloseTo(0.5);
      await expect(wheel.command('pos=0')).rejects.toThrow(
        /filter wheel 1 at serial:\/\/.* refused `pos=0`: Command error CMD_ARG_INVALID/,
      );
    } finally {
      await wheel.close();
    }
  });

  it('the TM-947SD driver reads all four channels through a tty', async () => {
    const tty = await ptyFor(ctx.ports.thermometer, 'tm947');
    const th = await Thermometer.connect(`serial://${tty}?baud=9600`);
    try {
      const t = await th.readAll();
      expect(Object.keys(t)).toEqual(['1', '2', '3', '4']);
      for (const c of Object.values(t)) expect(Math.abs(c - 21)).toBeLessThan(4);
    } finally {
      await th.close();
    }
  });
});

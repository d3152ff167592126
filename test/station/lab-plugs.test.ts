import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import { loadStation } from '../../src/lab/station.js';
import type { SimContext } from '../../src/sim/context.js';
import { FaultSet } from '../../src/sim/faults.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';
import { startPeripherals } from '../../src/sim/peripherals/index.js';
import { LabPlugs } from '../../src/station/lab-plugs.js';
import { ensureHome } from '../../src/station/workspace.js';
import { moduleStatus } from '../../src/station/module-link.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * A task's instruments: connected once when first asked for, torn down together at the end with
 * the laser off first; a connection that fails is not kept. Against the simulated peripherals.
 */
describe('the lab plugs of a task', () => {
  const base = TEST_PORTS.labPlugs;
  const clock = new VirtualClock();
  const ctx: SimContext = {
    clock,
    seed: 1,
    ports: simPorts(base),
    faults: new FaultSet(),
    lab: new LabState(clock),
    host: '127.0.0.1',
    log: () => {},
  };
  const home = ensureHome(fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-plugs-')), { seed: 1, basePort: base, timeScale: 1 });
  const station = loadStation(home.stationFile);
  let peripherals: { close(): Promise<void> } | undefined;
  beforeAll(async () => {
    peripherals = await startPeripherals(ctx);
  });
  afterAll(async () => peripherals?.close());

  it('connects each instrument once, and close turns the laser off and closes them all', async () => {
    const lab = new LabPlugs(station);
    const [fg, again] = await Promise.all([lab.functionGenerator(), lab.functionGenerator()]);
    expect(again).toBe(fg);
    const wheels = await lab.filterWheels();
    expect(wheels).toHaveLength(2);
    await wheels[0].setStrength(0.1);
    expect(await lab.thermometer()).toBe(await lab.thermometer());
    await fg.enableOutput();
    expect(ctx.lab.laserFiring).toBe(true);

    expect(await lab.close()).toEqual([]);
    expect(ctx.lab.laserFiring).toBe(false);
    await expect(fg.outputOn()).rejects.toThrow(); // its connection is closed
    // asked again after the teardown: a new connection
    const fresh = await lab.functionGenerator();
    expect(fresh).not.toBe(fg);
    expect(await fresh.outputOn()).toBe(false);
    expect(await lab.close()).toEqual([]);
  });

  it('a connection that fails is named and not kept', async () => {
    const lab = new LabPlugs({ ...station, thermometer: { ...station.thermometer, address: `tcp://127.0.0.1:${base + 98}` } });
    await expect(lab.thermometer()).rejects.toThrow(/thermometer/);
    await expect(lab.thermometer()).rejects.toThrow(/thermometer/);
    expect(await lab.close()).toEqual([]);
    const noFreezer = new LabPlugs({ ...station, freezer: { mode: 'manual' } });
    await expect(noFreezer.freezer()).rejects.toThrow('the station file names no freezer controller ([freezer] address)');
  });
});

/**
 * A task's D-Egg sessions: each `module` call has a session of its own, closed when it ends (the
 * port takes the next client at once); one left waiting on a mute module when the task ends is
 * dropped by the teardown, so the task's end is not held up by the reply timeout.
 */
describe('the D-Egg sessions of a task', () => {
  const base = TEST_PORTS.labPlugsModules;
  let sim: SimLab;
  let station: ReturnType<typeof loadStation>;
  beforeAll(async () => {
    sim = await startSimLab({ seed: 3, basePort: base, timeScale: 1000, domnet: 'auto' });
    const home = ensureHome(fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-plugs-modules-')), { seed: 3, basePort: base, timeScale: 1000 });
    station = loadStation(home.stationFile);
  });
  afterAll(async () => sim?.close());

  it('runs a function on a session of its own, closed when it ends', async () => {
    const lab = new LabPlugs(station);
    const port = sim.ports.mainboard(0, 0);
    const first = await lab.module(port, async (s) => ({ fpga: s.info.fpgaVersion, temperature: await s.temperatureC() }));
    expect(first.fpga).toBe(station.expected.fpga_version);
    expect(Number.isFinite(first.temperature)).toBe(true);
    // the port is free again: two more sessions one after the other, and two modules side by side
    const again = await Promise.all([
      lab.module(port, async (s) => s.info.boardName),
      lab.module(sim.ports.mainboard(0, 1), async (s) => s.info.boardName),
    ]);
    expect(again).toEqual(['DEgg', 'DEgg']);
    await expect(lab.module(port, async () => Promise.reject(new Error('the measurement failed')))).rejects.toThrow(
      'the measurement failed',
    );
    expect(await lab.module(port, async (s) => s.info.boardType)).toBe(113);
    expect(await lab.close()).toEqual([]);
  });

  it('keeps a held session for the task, closed by the teardown if the task did not', async () => {
    const lab = new LabPlugs(station);
    const port = sim.ports.mainboard(2, 0);
    const held = await lab.held(port, 'D-Egg held');
    expect(Number.isFinite(await held.temperatureC())).toBe(true);
    // other modules meanwhile, through sessions of their own
    expect(await lab.module(sim.ports.mainboard(2, 1), async (s) => s.info.boardType)).toBe(113);
    expect(Number.isFinite(await held.temperatureC())).toBe(true);
    await lab.close();
    await expect(held.temperatureC()).rejects.toThrow();
    expect(await new LabPlugs(station).module(port, async (s) => s.info.boardType)).toBe(113);
  });

  it('drops a session still waiting on its module when the task ends', async () => {
    const lab = new LabPlugs(station);
    const port = sim.ports.mainboard(1, 0);
    let waiting!: () => void;
    const asked = new Promise<void>((r) => (waiting = r));
    const work = lab.module(port, async (s) => {
      sim.ctx.faults.add({ kind: 'dead-module', target: String(port) });
      const reply = s.temperatureC();
      waiting();
      return reply;
    });
    const outcome = work.then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await asked;
    await lab.close();
    const message = await outcome;
    sim.ctx.faults.remove('dead-module', String(port));
    expect(message).not.toBe('answered');
    expect(message).not.toMatch(/within \d+ ms/); // not the reply timeout: the teardown ended it
    // the module is reachable again once healthy
    expect(await new LabPlugs(station).module(port, async (s) => s.info.boardType)).toBe(113);
  });

  it('checks a module in one session: it answers, its FPGA, temperature and HV', async () => {
    const { mb } = sim.wirePairs[3].modules[0];
    const port = sim.ports.mainboard(3, 0);
    // the lines the module is sent, as the mainboard's console receives them
    const lines: string[] = [];
    const execute = mb.execute.bind(mb);
    mb.execute = (line, signal) => {
      lines.push(line.toString('latin1').trim());
      return execute(line, signal);
    };
    try {
      const status = await moduleStatus(station.daq_host, port, station.expected.fpga_version);
      expect(status.ok).toBe(true);
      expect(status.message).toMatch(/^answers, FPGA \d+, iceboot \d+, -?\d+\.\d °C, HV \d+\/\d+ V$/);
      expect(Number.isFinite(status.temperatureC)).toBe(true);
      expect(status.hvVolts).toHaveLength(2);
      // one session: the board type is asked at every open, and the echo switched on
      expect(lines.filter((l) => l === 'getBoardType .s drop')).toHaveLength(1);
      expect(lines.filter((l) => l === 'true setecho')).toHaveLength(1);
    } finally {
      mb.execute = execute;
    }
  });
});

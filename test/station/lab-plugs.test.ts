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
import { startPeripherals } from '../../src/sim/peripherals/index.js';
import { LabPlugs } from '../../src/station/lab-plugs.js';
import { ensureHome } from '../../src/station/workspace.js';
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

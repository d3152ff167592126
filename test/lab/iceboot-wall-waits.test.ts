import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import { dryRun } from '../../src/engine/dry-run.js';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { startSimLab } from '../../src/sim/lab.js';
import { writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * On virtual time nothing on the healthy path waits on the wall clock: a session's idle waits (the
 * settle and quiet periods of the open, the silence after `reboot`) go through the session's clock.
 * Wall-clock timers are watched: a reply watchdog may be armed (it protects against a dead peer),
 * but it is cleared when the reply comes; a wall timer that fires is a wait. (Background loops on
 * `setInterval`, which never hold the procedure up, and `node:timers/promises` are not watched.)
 */
describe('no wall-clock waits on virtual time', () => {
  const base = TEST_PORTS.wallWaits;
  /** wall timers with a delay that fired, and where they were armed */
  let fired: Array<{ ms: number; where: string }>;

  beforeEach(() => {
    fired = [];
    const wallSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const where = new Error().stack?.split('\n').slice(2, 8).join(' <') ?? '';
      return wallSetTimeout(() => {
        if ((ms ?? 0) > 0) fired.push({ ms: ms ?? 0, where });
        fn(...args);
      }, ms);
    }) as typeof setTimeout);
  });
  afterEach(() => vi.restoreAllMocks());

  it('a session open, commands, a reboot and the close take lab time and no wall timer', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1), true);
    const lab = await startSimLab({ seed: 3, basePort: base, clock, domnet: 'auto' });
    try {
      const t0 = clock.now();
      const s = await IcebootSession.open('127.0.0.1', lab.ports.mainboard(0, 0), { clock });
      expect(s.info.boardType).toBe(113);
      expect(await s.cmd('sdrop')).toBe('');
      expect(await s.readAllSloAdc()).toHaveLength(16);
      await s.reboot();
      await s.boot();
      await s.flashConfigureFPGA();
      expect(await s.fpgaVersion()).toBe(272);
      await s.close();
      // the waits happened, on the lab clock: settle 100 ms, quiet 50 + 20 ms, the reboot's 3 s
      expect(clock.now() - t0).toBeGreaterThanOrEqual(3170);
      expect(fired).toEqual([]);
    } finally {
      await lab.close();
    }
  }, 30_000);

  it('a dry run of a readout with a reboot of every D-Egg fires no wall timer', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-wall-waits-'));
    const runFile = path.join(home, 'run_00001.json');
    fs.writeFileSync(runFile, '{}');
    const ini = writeSchedule(home, 'reboot', [{ name: 'readout_and_reboot_0', task: 'readout_and_reboot' }], runFile);
    const r = await dryRun(ini, { seed: 3, basePort: base });
    try {
      expect(r.tasks.map((t) => t.state)).toEqual(['done']);
      // the one wall wait allowed: the simulated lab's teardown waiting for libzmq to free its ports
      expect(fired.filter((f) => !f.where.includes('waitUntilBindable'))).toEqual([]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(r.home, { recursive: true, force: true });
    }
  }, 60_000);
});

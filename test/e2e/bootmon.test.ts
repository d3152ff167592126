import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, query, setupRun, writeSchedule } from '../helpers/master.js';
import { seedGainFromTruth } from '../helpers/monitoring.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `bootmon` through `fat master`: a warm reboot brings every module back with its FPGA and its HV
 * at the set point; a module that does not come back is named, the task fails with the original's
 * message; a cold boot keeps the wire pairs off for the lab time asked.
 */
describe('bootmon on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.bootmon, { timeScale: 1000 });
    allowSlowDomnet(env.dir);
    await setupRun(env.run);
    await seedGainFromTruth(env.dir, env.lab.truth);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('reboot: every module power-cycled and back, HV restored; one that stays silent is named, excluded, and the run goes on', async () => {
    const ok = writeSchedule(env.dir, 'reboot', [{ name: 'bootmon_0_reboot', task: 'bootmon', mode: 'reboot' }]);
    const r = await env.run(['master', ok]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const m of env.lab.truth.modules) {
      const e = (deggJson(env.dir, m.deggSerial).RebootMonitoring_00 ?? {}) as Record<string, unknown>;
      expect(e, m.deggSerial).toMatchObject({ Success: true, Attempts: 1, FPGAVersion: 272 });
      const mb = env.lab.wirePairs.flatMap((w) => w.modules).find((x) => x.truth.port === m.port)!.mb;
      // its HV is back at the set point
      expect(mb.hvVolts(0)).toBeGreaterThan(Math.round(m.pmts[0].hv1e7Volts) - 5);
      expect(mb.hvVolts(0)).toBeLessThan(Math.round(m.pmts[0].hv1e7Volts) + 5);
    }
    const info = await readHdf5(
      (deggJson(env.dir, env.lab.truth.modules[0].deggSerial).RebootMonitoring_00 as { Filename: string }).Filename,
    );
    expect(Array.from(info.datasets.ok.value as Uint8Array)).toEqual(Array(16).fill(1));

    const victim = env.lab.truth.modules[9];
    env.lab.ctx.faults.add({ kind: 'no-reboot-module', target: String(victim.port) });
    try {
      const ini = writeSchedule(env.dir, 'reboot2', [{ name: 'bootmon_1_reboot', task: 'bootmon', mode: 'reboot' }]);
      const r2 = await env.run(['master', ini]);
      const out = r2.stdout + r2.stderr;
      expect(out).toContain('One or more D-Eggs could not be successfully rebooted. DAQ is paused.');
      expect(out).toContain(`${victim.deggSerial} (port ${victim.port})`);
      // unattended, the master does not wait for a person: the silent module leaves the run, the
      // reboot monitoring runs again for the fifteen others, and the run completes
      expect(r2.code, out).toBe(0);
      expect(out).toContain(`D-Egg ${victim.deggSerial} on port ${victim.port} is excluded from the rest of the run`);
    } finally {
      // the technician's fix: the fault gone, one more power cycle brings the board back
      env.lab.ctx.faults.remove('no-reboot-module');
      env.lab.wirePairs
        .flatMap((w) => w.modules)
        .find((x) => x.truth.port === victim.port)!
        .mb.powerOn();
    }
    const warn = query<{ message: string }>(
      env.dir,
      "select message from events where kind = 'bootmon.reboot-failed' and message like 'Reboot failed for a second time%'",
    );
    expect(warn.map((w) => w.message).join('\n')).toContain(victim.deggSerial);
    expect(warn).toHaveLength(1);
    const e = deggJson(env.dir, victim.deggSerial);
    const entry = Object.entries(e).find(([k, v]) => k.startsWith('RebootMonitoring_') && (v as { Success: boolean }).Success === false);
    expect(entry?.[1]).toMatchObject({ Attempts: 2, FailedAttempts: 2 });
    const rows = query<{ port: number; value: number }>(
      env.dir,
      "select port, value from results where name = 'reboot.failures' and value > 0",
    );
    expect(rows).toEqual([{ port: victim.port, value: 2 }]);
    // fixed, the technician takes it back into the run
    const back = await env.run(['include', String(victim.port), '--reason', 'fixed']);
    expect(back.code, back.stdout + back.stderr).toBe(0);
  }, 180_000);

  it('coldboot: wire pairs off for the lab hours asked, then every module online', async () => {
    // the victim of the warm reboot comes back with the wire-pair power cycle
    const before = env.lab.ctx.clock.now();
    const ini = writeSchedule(env.dir, 'cold', [{ name: 'bootmon_2_coldboot', task: 'bootmon', mode: 'coldboot', off_hours: 2 }]);
    const r = await env.run(['master', ini, '--from', '0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(env.lab.ctx.clock.now() - before).toBeGreaterThan(2 * 3600 * 1000);
    for (const m of env.lab.truth.modules)
      expect(deggJson(env.dir, m.deggSerial).ColdBoot_00, m.deggSerial).toMatchObject({ Success: true, FPGAVersion: 272 });
    const msgs = query<{ message: string }>(env.dir, "select message from events where kind in ('bootmon.coldboot')").map((x) => x.message);
    expect(msgs).toEqual(['Starting Cold Boot Procedure', 'Cold Boot Completed, all modules are online.']);
    expect(
      fs.existsSync(String((deggJson(env.dir, env.lab.truth.modules[0].deggSerial).ColdBoot_00 as { Filename: string }).Filename)),
    ).toBe(true);
  }, 120_000);
});

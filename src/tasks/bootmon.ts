import path from 'node:path';
import { z } from 'zod';
import { newDataDir } from '../station/data-dirs.js';
import { enableInterlocks, powerCycle, verifyModule, type ModuleCheck } from '../station/module-link.js';
import { IcmClient } from '../lab/icm-client.js';
import { wirePairOf } from '../lab/station.js';
import { writeHdf5 } from '../store/hdf5.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import { HV_RAMP_S, hvToSetPoints } from './monitor-common.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { iniBool, iniChoice, iniNumber } from './values.js';

/**
 * `bootmon` (monitoring/regrowth.py, original-system.md §6.12).
 * - reboot: HV to 0 (40 s), every mainboard power-cycled through its ICM (mb_off, mb_on), its
 *   FPGA configured and checked; a module that fails gets one more power cycle, then "Reboot
 *   failed for a second time". Records reboot_info.hdf5 and RebootMonitoring_NN.
 * - coldboot: HV off, wire-pair power off for `off_hours` (8 h), on again, interlocks, every
 *   module checked (3 retries). Records ColdBoot_NN.
 * Afterwards the HV goes back to the set points; a module that did not come back fails the task
 * with the original's "DAQ is paused" message, which the master handles as any failed task.
 */
const params = z.object({
  mode: iniChoice(['reboot', 'coldboot']),
  /** wire pairs stay off this long in a cold boot (lab hours) */
  off_hours: iniNumber({ min: 0, max: 48, unit: 'h' }).default(8),
  /** the original's console detail: icefat logs every step either way */
  verbose: iniBool(false),
});
type P = z.infer<typeof params>;

const COLDBOOT_RETRIES = 3;
const RETRY_WAIT_MS = 5000;

interface BootOutcome {
  m: ActiveModule;
  attempts: number;
  failedAttempts: number;
  ok: boolean;
  fpgaVersion: number;
  message: string;
}

async function hvOff(ctx: TaskContext): Promise<void> {
  await Promise.all(ctx.modules.map((m) => ctx.lab.hvOff(m.port).catch(() => undefined)));
  ctx.progress(0, `HV set to 0 - waiting ${HV_RAMP_S} s`);
  await ctx.ws.clock.sleep(HV_RAMP_S * 1000, ctx.signal);
}

async function rebootModule(ctx: TaskContext, m: ActiveModule): Promise<BootOutcome> {
  const host = ctx.ws.station.daq_host;
  const { address, icmPort } = wirePairOf(ctx.ws.station, m.port);
  const expected = ctx.ws.station.expected.fpga_version;
  let failedAttempts = 0;
  let message = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    ctx.signal.throwIfAborted();
    try {
      await powerCycle(host, icmPort, address, (ms) => ctx.ws.clock.sleep(ms, ctx.signal));
      const c = await verifyModule(host, m.port, expected, ctx.ws.clock);
      if (c.ok) return { m, attempts: attempt, failedAttempts, ok: true, fpgaVersion: c.fpgaVersion ?? -1, message: c.message };
      message = c.message;
    } catch (e) {
      rethrowUnlessModuleFault(ctx, e);
      message = (e as Error).message;
    }
    failedAttempts++;
    ctx.emit({
      level: 'warn',
      kind: 'bootmon.reboot-failed',
      message:
        attempt === 1
          ? `Reboot of ${m.serial} (port ${m.port}) failed: ${message}; trying once more`
          : `Reboot failed for a second time: ${m.serial} (port ${m.port}): ${message}`,
      audience: attempt === 1 ? 'log' : 'people',
      data: { port: m.port, attempt },
    });
  }
  return { m, attempts: 2, failedAttempts, ok: false, fpgaVersion: -1, message };
}

async function coldBoot(ctx: TaskContext, p: P): Promise<BootOutcome[]> {
  const st = ctx.ws.station;
  const icmPorts = [...new Set(ctx.modules.map((m) => wirePairOf(st, m.port).icmPort))].sort((a, b) => a - b);
  const each = async (fn: (icm: IcmClient, port: number) => Promise<void>) => {
    for (const port of icmPorts) {
      const icm = new IcmClient(st.daq_host, port, { timeoutMs: 5000 });
      try {
        await fn(icm, port);
      } finally {
        icm.close();
      }
    }
  };
  await each((icm) => icm.wpOff());
  ctx.progress(0.1, `wire pairs off - waiting ${p.off_hours} h`);
  await ctx.ws.clock.sleep(p.off_hours * 3600 * 1000, ctx.signal);
  await each(async (icm, port) => {
    await icm.wpOn();
    await ctx.ws.clock.sleep(RETRY_WAIT_MS, ctx.signal);
    const failed = await enableInterlocks(st.daq_host, port, st.domnet.devices_per_wire_pair);
    for (const [d, why] of failed)
      ctx.emit({ level: 'warn', kind: 'bootmon.interlock', message: `ICM ${port} device ${d}: ${why}`, audience: 'log' });
  });
  ctx.progress(0.8, 'wire pairs on - verifying startup');
  const out: BootOutcome[] = [];
  for (const m of ctx.modules) {
    let failedAttempts = 0;
    let last: ModuleCheck = { port: m.port, ok: false, message: 'not checked' };
    for (let attempt = 0; attempt <= COLDBOOT_RETRIES; attempt++) {
      last = await verifyModule(st.daq_host, m.port, st.expected.fpga_version, ctx.ws.clock);
      if (last.ok) break;
      failedAttempts++;
      await ctx.ws.clock.sleep(RETRY_WAIT_MS, ctx.signal);
    }
    out.push({
      m,
      attempts: failedAttempts + (last.ok ? 1 : 0),
      failedAttempts,
      ok: last.ok,
      fpgaVersion: last.fpgaVersion ?? -1,
      message: last.message,
    });
  }
  return out;
}

/** Every module rebooted: the modules of one wire pair one after another (their ICM serialises), wire pairs in parallel. */
async function rebootAll(ctx: TaskContext): Promise<BootOutcome[]> {
  const outcomes: BootOutcome[] = [];
  const lanes = wirePairLanes(ctx.modules);
  await runLanes(lanes, lanes.length, async (m) => {
    outcomes.push(await rebootModule(ctx, m));
    ctx.progress(0.1 + (0.8 * outcomes.length) / ctx.modules.length, `${m.serial} rebooted`);
  });
  return outcomes;
}

/** reboot_info.hdf5, each module's RebootMonitoring_NN or ColdBoot_NN entry and the results. */
async function recordOutcomes(ctx: TaskContext, p: P, outcomes: BootOutcome[]): Promise<{ dir: string; file: string }> {
  const type = p.mode === 'reboot' ? 'RebootMonitoring' : 'ColdBoot';
  const dir = newDataDir(ctx.ws.home.dataDir, p.mode === 'reboot' ? 'reboot' : 'coldboot', ctx.ws.clock.now());
  const file = path.join(dir, 'reboot_info.hdf5');
  await writeHdf5(file, {
    attrs: {
      mode: p.mode,
      time: new Date(ctx.ws.clock.now()).toISOString(),
      expected_fpga_version: ctx.ws.station.expected.fpga_version,
    },
    datasets: {
      degg: { data: outcomes.map((o) => o.m.serial) },
      port: { data: Int32Array.from(outcomes.map((o) => o.m.port)) },
      attempts: {
        data: Int32Array.from(outcomes.map((o) => o.attempts)),
        attrs: { units: 'power cycles (reboot) or checks (coldboot)' },
      },
      failed_attempts: { data: Int32Array.from(outcomes.map((o) => o.failedAttempts)) },
      ok: { data: Uint8Array.from(outcomes.map((o) => (o.ok ? 1 : 0))), attrs: { units: '1 = answers with the expected FPGA' } },
      fpga_version: { data: Int32Array.from(outcomes.map((o) => o.fpgaVersion)) },
      message: { data: outcomes.map((o) => o.message) },
    },
  });
  for (const o of outcomes)
    await ctx.record.entry(o.m.jsonFile, type, {
      Folder: dir,
      Filename: file,
      Mode: p.mode,
      Success: o.ok,
      Attempts: o.attempts,
      FailedAttempts: o.failedAttempts,
      FPGAVersion: o.fpgaVersion,
      Message: o.message,
      TaskId: ctx.task.id,
    });
  await ctx.record.results(
    'bootmon',
    dir,
    outcomes.map((o) => ({
      port: o.m.port,
      serial: o.m.serial,
      name: p.mode === 'reboot' ? 'reboot.failures' : 'coldboot.failures',
      value: o.failedAttempts,
      detail: { ok: o.ok, message: o.message },
    })),
  );
  return { dir, file };
}

export const kind: TaskKind<P> = {
  name: 'bootmon',
  summary: 'warm reboot of every module, or a cold boot (wire pairs off for 8 h)',
  quantities: ['reboot.failures', 'coldboot.failures'],
  params,
  positional: ['mode', 'verbose'],
  listed: false,
  estimateS: (p, m) =>
    p.mode === 'coldboot' ? HV_RAMP_S + p.off_hours * 3600 + 300 + 10 * m + HV_RAMP_S : HV_RAMP_S + 16 * 2 + 5 + 10 * m + HV_RAMP_S,
  async run(ctx, p) {
    if (!ctx.modules.length) throw new Error('bootmon: the run has no active modules');
    if (p.mode === 'coldboot')
      ctx.emit({ level: 'info', kind: 'bootmon.coldboot', message: 'Starting Cold Boot Procedure', audience: 'channel' });
    await hvOff(ctx);
    const outcomes = p.mode === 'reboot' ? await rebootAll(ctx) : await coldBoot(ctx, p);
    outcomes.sort((a, b) => a.m.port - b.m.port);
    const bad = outcomes.filter((o) => !o.ok);

    const { dir, file } = await recordOutcomes(ctx, p, outcomes);

    // the HV back at the set points on the modules that answer
    const back = outcomes.filter((o) => o.ok).map((o) => o.m);
    await hvToSetPoints(ctx, back, (m, e) =>
      ctx.emit({
        level: 'warn',
        kind: 'bootmon.hv',
        message: `${m.serial} (port ${m.port}): HV not restored: ${(e as Error).message}`,
        audience: 'channel',
      }),
    );
    if (bad.length)
      throw new Error(
        `One or more D-Eggs could not be successfully rebooted. DAQ is paused. ${bad.map((o) => `${o.m.serial} (port ${o.m.port}): ${o.message}`).join('; ')}`,
      );
    ctx.emit({
      level: 'info',
      kind: `bootmon.${p.mode}`,
      message: p.mode === 'reboot' ? 'All modules successfully rebooted!' : 'Cold Boot Completed, all modules are online.',
      audience: 'channel',
    });
    return {
      mode: p.mode,
      folder: dir,
      file,
      modules: outcomes.map((o) => ({ port: o.m.port, serial: o.m.serial, ok: o.ok, attempts: o.attempts, fpgaVersion: o.fpgaVersion })),
    };
  },
};

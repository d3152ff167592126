import { z } from 'zod';
import { wirePairOf } from '../lab/station.js';
import { FLASH_ATTEMPTS, moduleStatus, powerCycle, type ModuleCheck, type ModuleStatus } from '../station/module-link.js';
import { iniBool } from './values.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';

/**
 * `status_check`: every module answers, its FPGA has the expected version (reflashed up to three
 * times when not, with a warning to people when all three fail, as the original's reflash_fpga),
 * mainboard temperature and HV readback are read. A module that fails gets one power cycle; if it
 * still fails it is excluded from the rest of the run and the run goes on for the others. With
 * `reboot`, every module is power-cycled first (the original's warm reboot of all D-Eggs).
 */
const params = z.object({ verbose: iniBool(true), reboot: iniBool(false) });
type P = z.infer<typeof params>;

async function cycle(ctx: TaskContext, m: ActiveModule): Promise<void> {
  const { icmPort, address } = wirePairOf(ctx.ws.station, m.port);
  await powerCycle(ctx.ws.station.daq_host, icmPort, address, (ms) => ctx.ws.clock.sleep(ms, ctx.signal));
}

/** Says what the FPGA flashes of one module check came to: a warning to people when every attempt failed. */
export function reportFlashes(emit: TaskContext['emit'], m: ActiveModule, c: ModuleCheck): void {
  const errors = c.flashErrors ?? [];
  if (!errors.length) return;
  const gaveUp = errors.length >= FLASH_ATTEMPTS;
  emit({
    level: gaveUp ? 'warn' : 'info',
    kind: gaveUp ? 'module.fpga-reflash-failed' : 'module.fpga-reflashed',
    message: gaveUp
      ? `D-Egg ${m.serial} (port ${m.port}): failed to reconfigure its FPGA ${errors.length} times in a row (last: ${errors.at(-1)})`
      : `D-Egg ${m.serial} (port ${m.port}): FPGA configured at flash attempt ${errors.length + 1} of ${FLASH_ATTEMPTS}`,
    detail: errors.map((e, i) => `flash ${i + 1}: ${e}`).join('\n'),
    audience: gaveUp ? 'people' : 'log',
    data: { port: m.port, serial: m.serial, flashErrors: errors },
  });
}

export async function checkModules(
  ctx: TaskContext,
  reboot: boolean,
): Promise<{ ok: Array<ModuleStatus & { cycled: boolean }>; excluded: Array<{ port: number; serial: string; reason: string }> }> {
  const host = ctx.ws.station.daq_host;
  const expected = ctx.ws.station.expected.fpga_version;
  const emit: TaskContext['emit'] = (e) => ctx.emit(e);
  const ok: Array<ModuleStatus & { cycled: boolean }> = [];
  const excluded: Array<{ port: number; serial: string; reason: string }> = [];
  let done = 0;
  await Promise.all(
    ctx.modules.map(async (m) => {
      if (reboot) await cycle(ctx, m).catch(() => undefined);
      let s = await moduleStatus(host, m.port, expected, ctx.ws.clock);
      reportFlashes(emit, m, s);
      let cycled = reboot;
      if (!s.ok) {
        cycled = true;
        ctx.emit({
          level: 'warn',
          kind: 'module.check-failed',
          message: `D-Egg ${m.serial} (port ${m.port}) failed its status check: ${s.message}; power-cycling it once`,
          audience: 'people',
        });
        try {
          await cycle(ctx, m);
          s = await moduleStatus(host, m.port, expected, ctx.ws.clock);
          reportFlashes(emit, m, s);
        } catch (e) {
          s = { ...s, ok: false, message: (e as Error).message };
        }
      }
      if (s.ok) ok.push({ ...s, cycled });
      else {
        const reason = `no answer after a power cycle: ${s.message}`;
        await ctx.excludeModule(m.port, reason);
        excluded.push({ port: m.port, serial: m.serial, reason });
      }
      ctx.progress(++done / ctx.modules.length, `${done}/${ctx.modules.length} D-Eggs checked`);
    }),
  );
  return { ok: ok.sort((a, b) => a.port - b.port), excluded };
}

export const kind: TaskKind<P> = {
  name: 'status_check',
  summary: 'every module answers with the right FPGA; temperature and HV read back',
  params,
  positional: ['verbose', 'reboot'],
  housekeeping: true,
  estimateS: (p, n) => 5 + n * 0.5 + (p.reboot ? 20 : 0),
  async run(ctx, p) {
    const total = ctx.modules.length;
    const { ok, excluded } = await checkModules(ctx, p.reboot);
    if (!ok.length)
      throw new Error(
        `no D-Egg answers any more (${excluded.length} excluded): check the DomNet instances (fat setup) and the mini field hub`,
      );
    const message =
      `D-Eggs Responsive: ${ok.length} / ${total}` +
      (excluded.length ? `; excluded: ${excluded.map((e) => `${e.serial} (port ${e.port})`).join(', ')}` : '');
    const detail = p.verbose ? ok.map((s) => `  ${s.port}: ${s.message}`).join('\n') : undefined;
    ctx.emit({
      level: excluded.length ? 'warn' : 'info',
      kind: 'status-check',
      message,
      detail,
      audience: excluded.length ? 'people' : 'log',
    });
    return {
      responsive: ok.length,
      total,
      excluded,
      modules: ok.map((s) => ({
        port: s.port,
        fpgaVersion: s.fpgaVersion,
        temperatureC: s.temperatureC,
        hvVolts: s.hvVolts,
        reflashed: s.flashed,
      })),
    };
  },
};

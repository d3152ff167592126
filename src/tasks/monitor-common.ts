import { withSession } from '../station/module-link.js';
import type { PmtChannel } from '../lab/iceboot/session.js';
import { FunctionGenerator } from '../lab/instruments/function-generator.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import type { ActiveModule, TaskContext } from './types.js';

/** What the monitoring tasks share: laser off, HV at the set points, failures per module. */
export const HV_RAMP_S = 40;
/** a readback further than this from the set point needs the ramp wait */
const HV_AT_SET_POINT_V = 10;

export async function laserOff(ctx: TaskContext): Promise<void> {
  const fg = await FunctionGenerator.connect(ctx.ws.station.function_generator.address);
  try {
    await fg.disableOutput();
  } finally {
    await fg.close();
  }
}

export interface ModuleFailure {
  port: number;
  serial: string;
  error: string;
}

/** Collects per-module failures and reports each as it happens. */
export function failureLog(ctx: TaskContext, task: string) {
  const failures: ModuleFailure[] = [];
  return {
    failures,
    fail: (m: ActiveModule, e: unknown) => {
      const error = e instanceof Error ? e.message : String(e);
      failures.push({ port: m.port, serial: m.serial, error });
      ctx.emit({
        level: 'warn',
        kind: `${task}.module-failed`,
        message: `${task}: ${m.serial} (port ${m.port}): ${error}`,
        audience: 'channel',
        data: { port: m.port },
      });
    },
    has: (m: ActiveModule) => failures.some((f) => f.port === m.port),
  };
}

/**
 * Every module's HV at its PMTs' HV1e7Gain (enabled where off), then one 40 s wait if any
 * readback was away from its set point. Returns the modules that could not be reached.
 */
export async function hvToSetPoints(
  ctx: TaskContext,
  modules: ActiveModule[],
  onFail: (m: ActiveModule, e: unknown) => void,
): Promise<void> {
  const ramped = await Promise.all(
    modules.map((m) =>
      withSession(ctx.ws.station.daq_host, m.port, async (s) => {
        let moved = false;
        for (const ch of [0, 1] as PmtChannel[]) {
          const set = Math.round(await hvSetPoint(ctx.ws, m.jsonFile, PMTS[ch]));
          const rb = (await s.hvReadback(ch)).hvVolts;
          if (!(await s.hvEnabled(ch))) await s.enableHV(ch);
          await s.setHV(ch, set);
          if (Math.abs(rb - set) > HV_AT_SET_POINT_V) moved = true;
        }
        return moved;
      }).catch((e: unknown) => {
        onFail(m, e);
        return false;
      }),
    ),
  );
  if (ramped.some(Boolean)) {
    ctx.progress(0, `HV was enabled & set - waiting ${HV_RAMP_S} s`);
    await ctx.ws.clock.sleep(HV_RAMP_S * 1000, ctx.signal);
  }
}

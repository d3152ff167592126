import { z } from 'zod';
import { freezerAirC } from '../station/freezer-air.js';
import { iniBool, iniNumber } from './values.js';
import type { TaskKind } from './types.js';

/**
 * `set_freezer` (the original's dummy_wrapper(fcurrent, fdelta)): the freezer's new set point is
 * fcurrent + fdelta. With a controller the set point goes through its driver; a manual freezer
 * becomes a prompt saying which temperature to set. With `wait_reached`, the task then waits until
 * the air has reached the set point and held it for `hold_s`.
 */
const params = z.object({
  fcurrent: iniNumber({ min: -60, max: 40, unit: '°C' }),
  fdelta: iniNumber({ min: -100, max: 100, unit: '°C' }),
  wait_reached: iniBool(true),
  /** how close to the set point counts as reached */
  band_c: iniNumber({ min: 0.1, unit: '°C' }).default(2),
  hold_s: iniNumber({ min: 0, unit: 's' }).default(600),
  /** the original's `monitor` flag for its freezer-controller script: accepted, changes nothing here */
  monitor: iniBool(false),
});
type P = z.infer<typeof params>;

const POLL_MS = 60_000;
/**
 * The freezer approaches its set point roughly exponentially: a time constant of about 3 h when
 * cooling ("several hours to cool down") and about 10 h when warming ("a very long time to warm
 * up (~days)"), so reaching the band takes tau·ln(|ΔT| / band).
 */
const COOL_TAU_H = 3;
const WARM_TAU_H = 10;

const target = (p: P) => p.fcurrent + p.fdelta;

export const kind: TaskKind<P> = {
  name: 'set_freezer',
  aliases: ['dummy_wrapper', 'freezer'],
  summary: 'change the freezer set point (fcurrent + fdelta) and wait until it is reached',
  params,
  positional: ['fcurrent', 'fdelta', 'monitor'],
  housekeeping: true,
  actsOnLab: true,
  listed: true,
  estimateS: (p) => {
    const dT = target(p) - p.fcurrent;
    const hours = (dT < 0 ? COOL_TAU_H : WARM_TAU_H) * Math.log(Math.max(1, Math.abs(dT) / p.band_c));
    return 10 + (p.wait_reached ? hours * 3600 + p.hold_s : 0);
  },
  needsPerson: (p, ws) => (ws.station.freezer.mode === 'manual' ? `set the freezer to ${target(p)} °C by hand` : undefined),
  async run(ctx, p) {
    const sp = target(p);
    const st = ctx.ws.station;
    if (st.freezer.mode === 'controller' && st.freezer.address) {
      const f = await ctx.lab.freezer();
      await f.setSetpoint(sp);
      const back = await f.setpoint();
      if (Math.abs(back - sp) > 0.05)
        throw new Error(`freezer controller at ${f.address} reports set point ${back} °C after being set to ${sp} °C`);
      ctx.emit({ level: 'info', kind: 'freezer.setpoint', message: `freezer set point changed to ${sp} °C`, audience: 'channel' });
    } else {
      const a = await ctx.prompt('freezer', `Set the freezer to ${sp} °C by hand ("Set" and the arrows), then answer yes.`);
      if (a.answer === 'no') throw new Error(`the freezer was not set to ${sp} °C: ${a.reason ?? 'no reason given'}`);
    }
    if (!p.wait_reached) return { setpointC: sp };

    const start = await freezerAirC(ctx.ws);
    let inBandSince: number | undefined;
    let t: number;
    for (;;) {
      t = await freezerAirC(ctx.ws);
      const now = ctx.ws.clock.now();
      if (Math.abs(t - sp) <= p.band_c) inBandSince ??= now;
      else inBandSince = undefined;
      const held = inBandSince === undefined ? 0 : (now - inBandSince) / 1000;
      const approach =
        Math.abs(start - sp) > p.band_c ? Math.min(1, Math.abs(start - t) / Math.max(0.1, Math.abs(start - sp) - p.band_c)) : 1;
      ctx.progress(
        0.9 * approach + 0.1 * Math.min(1, held / Math.max(1, p.hold_s)),
        `air ${t.toFixed(1)} °C, set point ${sp} °C${inBandSince !== undefined ? `, held ${Math.round(held)} s` : ''}`,
      );
      if (inBandSince !== undefined && held >= p.hold_s) break;
      await ctx.ws.clock.sleep(POLL_MS, ctx.signal);
    }
    return { setpointC: sp, reachedC: t };
  },
};

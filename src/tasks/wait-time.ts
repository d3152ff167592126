import { z } from 'zod';
import { iniNumber } from './values.js';
import type { TaskKind } from './types.js';

/** `wait_time`: wait a number of lab seconds, showing progress (the original's tqdm sleep). */
const params = z.object({ pause: iniNumber({ min: 0, unit: 's' }).default(10) });
type P = z.infer<typeof params>;

export const kind: TaskKind<P> = {
  name: 'wait_time',
  summary: 'wait a number of seconds',
  params,
  positional: ['pause'],
  housekeeping: true,
  estimateS: (p) => p.pause,
  async run(ctx, p) {
    const stepMs = Math.max(1000, (p.pause * 1000) / 100);
    const end = ctx.ws.clock.now() + p.pause * 1000;
    for (let left = end - ctx.ws.clock.now(); left > 0; left = end - ctx.ws.clock.now()) {
      await ctx.ws.clock.sleep(Math.min(stepMs, left), ctx.signal);
      ctx.progress(
        1 - Math.max(0, end - ctx.ws.clock.now()) / (p.pause * 1000),
        `${Math.ceil(Math.max(0, end - ctx.ws.clock.now()) / 1000)} s left`,
      );
    }
    return { waitedS: p.pause };
  },
};

import { z } from 'zod';
import type { TaskKind } from './types.js';

/** `disable_laser`: the function generator's output off, so the laser stops firing. */
const params = z.object({});

export const kind: TaskKind<z.infer<typeof params>> = {
  name: 'disable_laser',
  summary: 'switch the laser off (function generator output off)',
  params,
  positional: [],
  housekeeping: true,
  actsOnLab: true,
  estimateS: () => 5,
  async run(ctx) {
    const fg = await ctx.lab.functionGenerator();
    await fg.disableOutput();
    if (await fg.outputOn()) throw new Error(`function generator at ${fg.address} still reports its output on after output1:state off`);
    return { laser: 'off' };
  },
};

import type { SimContext } from '../context.js';
import { startFilterWheel } from './filter-wheel.js';
import { startFreezer } from './freezer.js';
import { startFunctionGenerator } from './function-generator.js';
import { startHumidity } from './humidity.js';
import { startThermometer } from './thermometer.js';
import type { RunningServer } from './wire.js';

/**
 * Starts every simulated lab peripheral on its port of `ctx.ports`: the function generator (raw
 * SCPI and behind a Prologix adapter), both filter wheels, the thermometer, both humidity probes
 * and the freezer controller. If one cannot start, the others are closed again.
 */
export async function startPeripherals(ctx: SimContext): Promise<{ close(): Promise<void> }> {
  const servers: RunningServer[] = [];
  const close = async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  };
  try {
    servers.push(...(await startFunctionGenerator(ctx)));
    servers.push(await startFilterWheel(ctx, 0));
    servers.push(await startFilterWheel(ctx, 1));
    servers.push(await startThermometer(ctx));
    servers.push(await startHumidity(ctx, 0));
    servers.push(await startHumidity(ctx, 1));
    servers.push(await startFreezer(ctx));
  } catch (e) {
    await close();
    throw e;
  }
  return { close };
}

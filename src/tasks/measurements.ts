import { kind as measureScaler } from './measure-scaler.js';
import type { TaskKind } from './types.js';

/** The measurement task kinds implemented so far (issue #4); they supersede their declarations. */
export const measurements = [measureScaler] as unknown as TaskKind[];

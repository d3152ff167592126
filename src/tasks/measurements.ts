import { kind as measureGain } from './measure-gain.js';
import { kind as measureScaler } from './measure-scaler.js';
import type { TaskKind } from './types.js';

/** The measurement task kinds implemented so far (issue #4); they supersede their declarations. */
export const measurements = [measureGain, measureScaler] as unknown as TaskKind[];

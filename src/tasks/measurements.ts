import { kind as measureGain } from './measure-gain.js';
import { kind as measureScaler } from './measure-scaler.js';
import { monitoringKinds } from './monitoring-kinds.js';
import type { TaskKind } from './types.js';

/** The measurement task kinds implemented so far (issue #4); they supersede their declarations. */
export const measurements = [measureGain, measureScaler, ...monitoringKinds] as unknown as TaskKind[];

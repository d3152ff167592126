import { kind as measureGain } from './measure-gain.js';
import { kind as measureScaler } from './measure-scaler.js';
import { monitoringKinds } from './monitoring-kinds.js';
import { kind as measureBaseline } from './measure-baseline.js';
import { kind as measureFlasher } from './measure-flasher.js';
import { kind as measureStf } from './measure-stf.js';
import { kind as stfAna } from './stf-ana.js';
import type { TaskKind } from './types.js';

/** The measurement task kinds implemented so far (issue #4); they supersede their declarations. */
export const measurements = [
  measureGain,
  measureScaler,
  measureBaseline,
  measureFlasher,
  measureStf,
  stfAna,
  ...monitoringKinds,
] as unknown as TaskKind[];

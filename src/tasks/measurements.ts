import { kind as measureGain } from './measure-gain.js';
import { kind as measureScaler } from './measure-scaler.js';
import { monitoringKinds } from './monitoring-kinds.js';
import { kind as measureBaseline } from './measure-baseline.js';
import { kind as measureFlasher } from './measure-flasher.js';
import { kind as measureStf } from './measure-stf.js';
import { kind as stfAna } from './stf-ana.js';
import { kind as analysisWrapper } from './analysis-wrapper.js';
import { kind as measureCamera } from './measure-camera.js';
import { kind as measurePattern } from './measure-pattern.js';
import { kind as disableAllLights } from './disable-camera-lights.js';
import { kind as cameraFileChecker } from './camera-file-checker.js';
import { kind as triggerRemoteWrapper } from './trigger-remote-wrapper.js';
import { kind as validateGain } from './validate-gain.js';
import { kind as measureLinearity } from './measure-linearity.js';
import { kind as measurePulsed } from './measure-pulsed.js';
import { kind as runTiming } from './run-timing.js';
import type { TaskKind } from './types.js';

/** The measurement, monitoring and analysis task kinds (original-system.md §6). */
export const measurements = [
  measureGain,
  measureScaler,
  measureLinearity,
  measurePulsed,
  measureBaseline,
  measureFlasher,
  measureStf,
  stfAna,
  ...monitoringKinds,
  analysisWrapper,
  validateGain,
  triggerRemoteWrapper,
  runTiming,
  measureCamera,
  measurePattern,
  disableAllLights,
  cameraFileChecker,
] as unknown as TaskKind[];

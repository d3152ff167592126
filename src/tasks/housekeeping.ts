import { kind as disableLaser } from './disable-laser.js';
import { kind as manualInput } from './manual-input.js';
import { kind as readoutAndReboot, readoutOnlyKind } from './readout-and-reboot.js';
import { kind as setFreezer } from './set-freezer.js';
import { kind as statusCheck } from './status-check.js';
import type { TaskKind } from './types.js';
import { kind as waitTime } from './wait-time.js';

/** The task kinds that keep a FAT going between measurements. */
export const housekeeping = [
  waitTime,
  statusCheck,
  manualInput,
  setFreezer,
  disableLaser,
  readoutAndReboot,
  readoutOnlyKind,
] as unknown as TaskKind[];

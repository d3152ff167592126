import { kind as bootmon } from './bootmon.js';
import { kind as constantMonitor } from './constant-monitor.js';
import { kind as measureDt } from './measure-dt.js';
import { kind as measureHv } from './measure-hv.js';
import { kind as onlineMon } from './online-mon.js';
import { kind as slowmon } from './slowmon.js';
import type { TaskKind } from './types.js';

/** The monitoring kinds of the standard FAT (original-system.md §6.5, §6.12, hvTest). */
export const monitoringKinds = [onlineMon, bootmon, measureDt, measureHv, constantMonitor, slowmon] as unknown as TaskKind[];

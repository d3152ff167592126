import { kind as onlineMon } from './online-mon.js';
import type { TaskKind } from './types.js';

/** The monitoring kinds of the standard FAT (original-system.md §6.5, §6.12, hvTest). */
export const monitoringKinds = [onlineMon] as unknown as TaskKind[];

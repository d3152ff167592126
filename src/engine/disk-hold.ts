import { setTimeout as sleep } from 'node:timers/promises';
import type { Workspace } from '../station/workspace.js';
import type { FatEvent } from '../station/events.js';
import { freeBytes } from '../util/disk-space.js';

/**
 * Before a measurement: enough free space where the raw data goes ([master] min_free_mb)? If not,
 * one alert naming the folder and what is left, then the run waits (checking every few seconds of
 * wall time: the disk is real even on a simulated lab) and goes on by itself once space is back.
 * A stop (Ctrl+C, SIGTERM, an abort) ends the wait at once.
 */
const RECHECK_MS = 5000;

export async function holdForDiskSpace(
  ws: Workspace,
  emit: (e: Omit<FatEvent, 'timeMs' | 'runId'>) => void,
  signal: AbortSignal,
): Promise<void> {
  const minBytes = ws.station.master.min_free_mb * 1048576;
  const dir = ws.home.dataDir;
  if (freeBytes(dir) >= minBytes) return;
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  emit({
    level: 'error',
    kind: 'disk.low',
    message: `Only ${mb(freeBytes(dir))} free in ${dir} (the station wants ${ws.station.master.min_free_mb} MB, [master] min_free_mb): the run is paused before the next measurement. Free space on that disk (old data, backups) and it goes on by itself.`,
    audience: 'people',
    data: { dir, freeBytes: freeBytes(dir), minBytes },
  });
  while (freeBytes(dir) < minBytes) await sleep(RECHECK_MS, undefined, { signal });
  emit({ level: 'info', kind: 'disk.ok', message: `${mb(freeBytes(dir))} free in ${dir} again: the run goes on`, audience: 'channel' });
}

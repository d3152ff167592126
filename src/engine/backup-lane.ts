import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import { processBackups, queueBackup, stagingDir, startSnapshot, type StartedSnapshot } from './backup.js';
import { readManifestHead } from './backup/manifest.js';

/**
 * The master's backups, beside its tasks. After a task with `run_backup` the master takes the
 * snapshot's moment itself (the store, the JSON files, which raw files there are:
 * `startSnapshot`), then goes on with the next task while this lane hashes the raw files that
 * are new, writes the manifest, queues the snapshot and sends what is due. One snapshot is
 * finished at a time: the next waits for the one before. Nothing here stops a run: what fails is
 * told through `warn` and the run goes on.
 */
export class BackupLane {
  /** the snapshot being finished */
  private tail: Promise<void> = Promise.resolve();
  /** the pass over the queue now running (processBackups shares one pass among its callers) */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: Workspace,
    private readonly warn: (message: string) => void,
  ) {}

  /** Takes a snapshot's moment now; finishes, queues and sends it in the lane. */
  async snapshot(run: { id: number; number: number }, taskId: number, label: string): Promise<void> {
    // the previous snapshot's raw files are hashed before this one's: one cache, one at a time
    await this.tail;
    let started;
    try {
      started = await startSnapshot(this.ws, run, label);
    } catch (e) {
      this.warn(cannotTake(label, e));
      return;
    }
    this.tail = this.finish(started, run.id, taskId, label);
  }

  private async finish(started: StartedSnapshot, runId: number, taskId: number, label: string): Promise<void> {
    try {
      const snap = await started.finish();
      await queueBackup(this.ws, runId, taskId, snap);
    } catch (e) {
      this.warn(cannotTake(label, e));
      return;
    }
    this.poll();
  }

  /** Tries the queued backups now, beside the tasks. */
  poll(): void {
    this.sending = this.send();
  }

  /**
   * Every snapshot taken is complete and queued, and the pass over the queue now running has
   * ended (a stop: what is still queued, the next master sends).
   */
  async settled(): Promise<void> {
    await this.tail;
    await this.sending;
  }

  /** As `settled`, and the queue tried once more (the run's end). */
  async drained(): Promise<void> {
    await this.settled();
    await this.send();
  }

  private async send(): Promise<void> {
    const b = await processBackups(this.ws);
    if (b.failed)
      this.warn(`${b.failed} backup(s) could not reach ${this.ws.station.backup.destination}; queued and retried (${b.pending} pending)`);
  }
}

const cannotTake = (label: string, e: unknown) =>
  `the backup snapshot after ${label} could not be taken: ${(e as Error).message}; the run goes on, and the next snapshot tries again`;

/**
 * A master that died while its lane was finishing a snapshot left it in staging: without a
 * manifest it is incomplete and removed; with one (the crash came before it was queued) it is
 * queued now. Returns how many of each. Run by the master at its start, holding the station.
 */
export async function sweepStaging(ws: Workspace): Promise<{ removed: number; queued: number }> {
  const root = stagingDir(ws);
  let names: string[];
  try {
    names = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return { removed: 0, queued: 0 };
  }
  const known = new Set(
    (await ws.db.selectFrom('backups').select('snapshot_path').where('station', '=', ws.station.name).execute()).map(
      (r) => r.snapshot_path,
    ),
  );
  let removed = 0;
  let queued = 0;
  for (const name of names) {
    const dir = path.join(root, name);
    if (known.has(dir)) continue;
    const head = readManifestHead(dir);
    if (!head) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed++;
      continue;
    }
    await queueBackup(ws, head.run.id, null, { dir });
    queued++;
  }
  // the hash cache of icefat before 2026-12-07 (JSON); its successor is .raw-hash-cache.tsv
  fs.rmSync(path.join(root, '.raw-hash-cache.json'), { force: true });
  return { removed, queued };
}

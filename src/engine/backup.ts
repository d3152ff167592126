import fs from 'node:fs';
import path from 'node:path';
import { sqliteLibrary } from '../store/sqlite-engine.js';
import { backupSqliteFile } from '../store/sqlite-backup.js';
import type { Workspace } from '../station/workspace.js';
import { storeUrl } from '../station/workspace.js';
import { runName } from '../records/run-files.js';
import { nowIso } from '../store/open.js';
import { parseDestination, sendToFolder, sendWithRsync, type Destination } from './backup/destination.js';
import { listFiles } from './backup/files.js';
import { RAW_HASH_CACHE, readManifestHead, writeManifest, type Manifest } from './backup/manifest.js';

export { verifySnapshot, type Manifest } from './backup/manifest.js';
export { parseDestination, type Destination } from './backup/destination.js';

/**
 * Per-task backups (issue 3). After a task whose section sets `run_backup`, the master takes a
 * consistent snapshot into <home>/backups-staging/ and queues it; `processBackups` sends queued
 * snapshots to the station's destination and retries with backoff when it cannot be reached.
 * Nothing here stops a run: sending never throws, failures stay queued with their reason.
 *
 * Times (created_at, next_attempt_at) are the workspace clock's lab time, like every other time
 * in the store; tests and the dry run move it by passing `now`.
 */

export interface Snapshot {
  /** folder name: run_NNNNN_YYYYMMDDTHHMMSS_<label> */
  name: string;
  /** the complete snapshot in staging */
  dir: string;
  runNumber: number;
  createdAt: string;
  /** files in the snapshot, manifest excluded */
  files: number;
  bytes: number;
  /** raw data files listed in the manifest */
  rawFiles: number;
}

export const STAGING_DIR = 'backups-staging';
const DB_FILE = 'fat.db';

export function stagingDir(ws: Workspace): string {
  return path.join(ws.home.dir, STAGING_DIR);
}

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
}

function safeLabel(label: string): string {
  return (
    label
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 60) || 'snapshot'
  );
}

/**
 * Takes a consistent snapshot of the run: the database through SQLite's online backup (on a
 * connection of its own, so the master's writes go on meanwhile and the copy is one consistent
 * moment, never a torn file), the run's exported JSON files, the station and module files, and
 * manifest.json with the sha256 of every snapshot file and of every raw data file under
 * <home>/data. The manifest is written last. Throws when the snapshot cannot be taken
 * (a full disk, say); the caller decides whether that matters.
 */
export async function takeSnapshot(ws: Workspace, run: { id: number; number: number }, label: string): Promise<Snapshot> {
  return (await startSnapshot(ws, run, label)).finish();
}

/** A snapshot whose moment is taken (`startSnapshot`) and whose manifest is still to be written (`finish`). */
export interface StartedSnapshot {
  name: string;
  /**
   * Describes the raw data listed at the snapshot's moment (reading only new or changed files)
   * and writes the manifest: from here on the snapshot is complete. Removes the folder and throws
   * when it cannot.
   */
  finish(): Promise<Snapshot>;
}

/**
 * The part of a snapshot that must be one moment: the database, the JSON files and which raw
 * files there are. What takes long, hashing the copies and the raw files that are new, is
 * `finish`, which the master leaves to its backup lane while the next task runs
 * (engine/backup-lane.ts).
 */
export async function startSnapshot(ws: Workspace, run: { id: number; number: number }, label: string): Promise<StartedSnapshot> {
  const createdMs = ws.clock.now();
  const base = `${runName(run.number)}_${stamp(createdMs)}_${safeLabel(label)}`;
  const root = stagingDir(ws);
  fs.mkdirSync(root, { recursive: true });
  let name = base;
  for (let k = 2; fs.existsSync(path.join(root, name)); k++) name = `${base}_${k}`;
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  // a half-taken snapshot has no manifest and is never sent; it is removed so staging stays clean
  const removed = (e: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    return e;
  };
  let store: Manifest['store'];
  let raw: string[];
  try {
    store = await copyStore(ws, dir);
    await copyRunFiles(ws, run.number, dir);
    raw = listFiles(ws.home.dataDir);
  } catch (e) {
    throw removed(e);
  }
  return {
    name,
    async finish() {
      try {
        // the copies in staging stay as they are: they are hashed here, beside the next task
        const head = {
          format: 'icefat-snapshot/1' as const,
          station: ws.station.name,
          run: { id: run.id, number: run.number },
          label,
          created_at: nowIso(createdMs),
          store,
        };
        const { files, count } = await writeManifest(dir, head, ws.home.dataDir, raw, path.join(root, RAW_HASH_CACHE));
        return {
          name,
          dir,
          runNumber: run.number,
          createdAt: head.created_at,
          files: files.length,
          bytes: files.reduce((s, f) => s + f.size, 0),
          rawFiles: count,
        };
      } catch (e) {
        throw removed(e);
      }
    },
  };
}

/** The store into the snapshot: a copy of the SQLite file, or a note that PostgreSQL backs itself up. */
async function copyStore(ws: Workspace, dir: string): Promise<Manifest['store']> {
  const url = storeUrl(ws.home, ws.station);
  if (url.startsWith('postgres'))
    return { kind: 'postgres', note: 'the database is PostgreSQL and is not in this snapshot: back it up with its own tools (pg_dump)' };
  const source = url.replace(/^sqlite:(\/\/)?/, '');
  // in a thread of its own: the copy of a two-week store must not hold the instruments' event loop
  await backupSqliteFile(source, path.join(dir, DB_FILE), sqliteLibrary());
  return { kind: 'sqlite', file: DB_FILE, source };
}

/** The run's JSON files, and what a restore needs to make sense of the rest. */
async function copyRunFiles(ws: Workspace, runNumber: number, dir: string): Promise<void> {
  const rn = runName(runNumber);
  await copyIfPresent(path.join(ws.home.jsonDir, 'run', `${rn}.json`), path.join(dir, 'json', 'run', `${rn}.json`));
  const deggDir = path.join(ws.home.jsonDir, rn);
  for (const rel of listFiles(deggDir)) {
    if (rel.endsWith('.json') && !rel.includes('/')) await copyIfPresent(path.join(deggDir, rel), path.join(dir, 'json', rn, rel));
  }
  await copyIfPresent(ws.home.stationFile, path.join(dir, 'station.toml'));
  await copyIfPresent(ws.home.registryFile, path.join(dir, 'modules.toml'));
}

/**
 * The JSON exports are replaced by rename, so a copy sees either the old file or the new one.
 * Copied on libuv's threads: 16 D-Egg documents of up to ~0.75 MB each, at every snapshot.
 */
async function copyIfPresent(src: string, dst: string): Promise<void> {
  try {
    await fs.promises.mkdir(path.dirname(dst), { recursive: true });
    await fs.promises.copyFile(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Queues a snapshot for the station's destination; returns the backup's id. */
export async function queueBackup(
  ws: Workspace,
  runId: number | null,
  taskId: number | null,
  snapshot: Pick<Snapshot, 'dir'>,
): Promise<number> {
  const d = parseDestination(ws.station.backup.destination, ws.home.dir);
  const now = nowIso(ws.clock.now());
  const row = await ws.db
    .insertInto('backups')
    .values({
      station: ws.station.name,
      run_id: runId,
      task_id: taskId,
      created_at: now,
      state: 'pending',
      attempts: 0,
      next_attempt_at: now,
      snapshot_path: snapshot.dir,
      destination: d.kind === 'folder' ? d.dir : d.target,
      last_error: null,
      done_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface ProcessOptions {
  /** lab time in ms (default: the workspace clock) */
  now?: number;
  /** send through rsync even to a plain path (tests; or a folder rsync should handle) */
  via?: 'rsync';
  /** the rsync program (default `rsync` on PATH) */
  rsyncProgram?: string;
  /** limit for each rsync call in wall seconds (default 900) */
  rsyncTimeoutS?: number;
}

export interface ProcessResult {
  /** snapshots delivered in this pass */
  sent: number;
  /** attempts that failed in this pass (they stay queued) or snapshots that cannot ever be sent */
  failed: number;
  /** backups of this station still queued after the pass */
  pending: number;
  /** one line per failure in this pass, for the console, the log and a warning */
  errors: string[];
}

const inFlight = new Map<string, Promise<ProcessResult>>();

/**
 * Tries every due queued backup of the station, oldest first. On success the row is done and the
 * staging copy removed; on failure it stays pending with attempts+1, the error, and the next try
 * after retry_s × 1, 2, 4, then 8 at most. After one failure to a destination the others for it
 * wait for the next pass (the oldest acts as the probe). Never throws. Concurrent calls share one
 * pass.
 */
export function processBackups(ws: Workspace, opts: ProcessOptions = {}): Promise<ProcessResult> {
  const key = ws.home.dir;
  const running = inFlight.get(key);
  if (running) return running;
  const p = processPass(ws, opts).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

async function processPass(ws: Workspace, opts: ProcessOptions): Promise<ProcessResult> {
  const result: ProcessResult = { sent: 0, failed: 0, pending: 0, errors: [] };
  const nowMs = opts.now ?? ws.clock.now();
  const now = nowIso(nowMs);
  try {
    const due = await ws.db
      .selectFrom('backups')
      .selectAll()
      .where('station', '=', ws.station.name)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('id')
      .execute();
    const deadDestinations = new Set<string>();
    for (const row of due) {
      if (deadDestinations.has(row.destination)) continue;
      const outcome = await sendOne(ws, row.snapshot_path, row.destination, opts);
      if (outcome.ok) {
        await ws.db
          .updateTable('backups')
          .set({ state: 'done', done_at: now, attempts: row.attempts + 1, last_error: null })
          .where('id', '=', row.id)
          .execute();
        await fs.promises.rm(row.snapshot_path, { recursive: true, force: true }).catch(() => undefined);
        result.sent++;
        continue;
      }
      result.failed++;
      result.errors.push(`backup ${row.id} (${path.basename(row.snapshot_path)}): ${outcome.error}`);
      if (outcome.permanent) {
        await ws.db
          .updateTable('backups')
          .set({ state: 'failed', attempts: row.attempts + 1, last_error: outcome.error })
          .where('id', '=', row.id)
          .execute();
        continue;
      }
      deadDestinations.add(row.destination);
      const waitS = ws.station.backup.retry_s * Math.min(2 ** row.attempts, 8);
      await ws.db
        .updateTable('backups')
        .set({ attempts: row.attempts + 1, last_error: outcome.error, next_attempt_at: nowIso(nowMs + waitS * 1000) })
        .where('id', '=', row.id)
        .execute();
    }
    result.pending = await countPending(ws);
  } catch (e) {
    result.errors.push(`backups could not be processed: ${(e as Error).message}`);
  }
  return result;
}

type Outcome = { ok: true } | { ok: false; error: string; permanent: boolean };

async function sendOne(ws: Workspace, stagingPath: string, destination: string, opts: ProcessOptions): Promise<Outcome> {
  const manifest = readManifestHead(stagingPath);
  if (!manifest) {
    const error = fs.existsSync(stagingPath)
      ? `the snapshot in ${stagingPath} has no manifest.json (it was never completed); take a new one`
      : `the snapshot ${stagingPath} is gone from staging; take a new one`;
    return { ok: false, error, permanent: true };
  }
  const job = { stagingDir: stagingPath, name: path.basename(stagingPath), runDir: runName(manifest.run.number) };
  // `destination` was resolved when queued: a folder is absolute, anything else is rsync's
  const d: Destination = opts.via === 'rsync' ? { kind: 'rsync', target: destination } : parseDestination(destination, ws.home.dir);
  try {
    if (d.kind === 'folder') await sendToFolder(job, d);
    else await sendWithRsync(job, d.target, { program: opts.rsyncProgram ?? 'rsync', timeoutS: opts.rsyncTimeoutS ?? 900 });
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message, permanent: false };
  }
}

async function countPending(ws: Workspace): Promise<number> {
  const r = await ws.db
    .selectFrom('backups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('station', '=', ws.station.name)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Age in seconds of the oldest queued backup of the station; 0 when nothing waits. */
export async function backupLag(ws: Workspace, now = ws.clock.now()): Promise<number> {
  const r = await ws.db
    .selectFrom('backups')
    .select('created_at')
    .where('station', '=', ws.station.name)
    .where('state', '=', 'pending')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!r) return 0;
  return Math.max(0, (now - Date.parse(r.created_at)) / 1000);
}

export interface BackupSummary {
  pending: number;
  failed: number;
  lagS: number;
  /** the most recent error of a queued or failed backup */
  lastError: string | null;
  lastDoneAt: string | null;
}

/** One line's worth for `fat status`: how far behind the backups are and why. */
export async function backupSummary(ws: Workspace, now = ws.clock.now()): Promise<BackupSummary> {
  const rows = await ws.db
    .selectFrom('backups')
    .select(['state', 'last_error', 'done_at', 'id'])
    .where('station', '=', ws.station.name)
    .orderBy('id', 'desc')
    .execute();
  const open = rows.filter((r) => r.state !== 'done');
  return {
    pending: rows.filter((r) => r.state === 'pending').length,
    failed: rows.filter((r) => r.state === 'failed').length,
    lagS: await backupLag(ws, now),
    lastError: open.find((r) => r.last_error)?.last_error ?? null,
    lastDoneAt: rows.find((r) => r.state === 'done')?.done_at ?? null,
  };
}

export interface BackupNowResult {
  snapshot?: Snapshot;
  backupId?: number;
  sent: ProcessResult;
  /** why no snapshot could be taken */
  error?: string;
}

/**
 * What the master does after a task with `run_backup`: snapshot, queue, and try to send whatever
 * is due (this one and earlier ones still waiting). Never throws; a snapshot that cannot be taken
 * is reported in `error` and the run goes on.
 */
export async function backupNow(
  ws: Workspace,
  run: { id: number; number: number },
  taskId: number | null,
  label: string,
  opts: ProcessOptions = {},
): Promise<BackupNowResult> {
  let snapshot: Snapshot | undefined;
  let backupId: number | undefined;
  let error: string | undefined;
  try {
    snapshot = await takeSnapshot(ws, run, label);
    backupId = await queueBackup(ws, run.id, taskId, snapshot);
  } catch (e) {
    error = `the snapshot after ${label} could not be taken: ${(e as Error).message}`;
  }
  const sent = await processBackups(ws, opts);
  return { snapshot, backupId, sent, error };
}

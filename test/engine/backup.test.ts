import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import {
  backupLag,
  backupSummary,
  parseDestination,
  processBackups,
  queueBackup,
  takeSnapshot,
  verifySnapshot,
  type Manifest,
} from '../../src/engine/backup.js';
import { BackupLane, sweepStaging } from '../../src/engine/backup-lane.js';
import { startSnapshot, stagingDir } from '../../src/engine/backup.js';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const tmp = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `icefat-backup-${what}-`));

async function workspace(): Promise<{ ws: Workspace; clock: VirtualClock; run: { id: number; number: number } }> {
  const dir = tmp('home');
  const clock = new VirtualClock(Date.UTC(2026, 10, 27, 22, 15, 30));
  const ws = await openWorkspace(dir, clock);
  cleanups.push(async () => {
    await ws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const r = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 7, comment: 'batch 7', date: '2026-11-27', operator: 'shifter', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ws, clock, run: { id: Number(r.id), number: 7 } };
}

function fakeRunFiles(ws: Workspace): void {
  const put = (rel: string, data: string | Buffer) => {
    const f = path.join(ws.home.dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, data);
  };
  put('json/run/run_00007.json', JSON.stringify({ 'DEgg2026-1-001': 'x', comment: 'batch 7' }));
  put('json/run_00007/DEgg2026-1-001.json', JSON.stringify({ DEggSerialNumber: 'DEgg2026-1-001' }));
  put('json/run_00007/DEgg2026-1-002.json', JSON.stringify({ DEggSerialNumber: 'DEgg2026-1-002' }));
  put('json/run_00008/DEgg2026-9-009.json', '{}'); // another run: not in this run's snapshot
  put('data/gain/20261127_01/DEgg2026-1-001_gain.hdf5', randomBytes(300_000));
  put('data/gain/20261127_01/notes.txt', 'hv 1500\n');
}

/** `n` small raw files over seven folders, mon/00/f0.dat ... (a monitoring task's many outputs) */
function monitoringFiles(ws: Workspace, n: number): void {
  for (let i = 0; i < n; i++) {
    const f = path.join(ws.home.dataDir, `mon/${String(i % 7).padStart(2, '0')}/f${i}.dat`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, `sample ${i}\n`);
  }
}

function setDestination(ws: Workspace, destination: string, retryS = 60): void {
  ws.station.backup = { destination, retry_s: retryS };
}

describe('snapshots', () => {
  it('holds a consistent database while another process keeps writing, without its WAL', async () => {
    const { ws, run } = await workspace();
    const dbFile = path.join(ws.home.dir, 'fat.db');
    const payload = 'x'.repeat(2000);
    await ws.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 3000; i++) {
        await tx
          .insertInto('events')
          .values({ station: ws.station.name, run_id: run.id, time: '', level: 'info', kind: 'seed', message: `seed ${i}`, data: payload })
          .execute();
      }
    });

    // a second process writes numbered rows as fast as it can, one transaction each
    const writerCode = `
      const db = new (require('better-sqlite3'))(${JSON.stringify(dbFile)});
      db.pragma('busy_timeout = 5000');
      const ins = db.prepare("insert into events (station, run_id, time, level, kind, message, data) values (?, null, '', 'info', 'writer', ?, ?)");
      let n = 0;
      setInterval(() => { for (let k = 0; k < 20; k++) ins.run(${JSON.stringify(ws.station.name)}, String(n++), 'y'.repeat(500)); if (n === 20) console.log('started'); }, 1);`;
    const writer: ChildProcess = spawn(process.execPath, ['-e', writerCode], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void writer.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      writer.stdout!.on('data', () => resolve());
      writer.on('exit', (c) => reject(new Error(`writer exited ${c}`)));
    });

    const count = async () =>
      Number(
        (
          await ws.db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('kind', '=', 'writer')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const snap = await takeSnapshot(ws, run, 'after measure_gain');
    const after = await count();
    expect(after).toBeGreaterThan(before); // the writer really was writing while the snapshot was taken
    writer.kill('SIGKILL');

    expect(snap.name).toBe('run_00007_20261127T221530_after-measure_gain');
    expect(fs.readdirSync(snap.dir).sort()).toEqual(['fat.db', 'json', 'manifest.json', 'station.toml']);
    const copy = new SQLite(path.join(snap.dir, 'fat.db'), { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(copy.prepare('select run_number from runs').all()).toEqual([{ run_number: 7 }]);
      expect(copy.prepare("select count(*) n from events where kind = 'seed'").get()).toEqual({ n: 3000 });
      // one moment in time: the writer's rows form an unbroken prefix 0..k-1
      const w = copy.prepare("select message from events where kind = 'writer' order by id").all() as { message: string }[];
      expect(w.length).toBeGreaterThanOrEqual(before);
      expect(w.length).toBeLessThanOrEqual(after);
      expect(w.every((r, i) => r.message === String(i))).toBe(true);
    } finally {
      copy.close();
    }
  });

  it('copies the run JSON and lists every raw data file with its sha256 in a manifest written last', async () => {
    const { ws, run, clock } = await workspace();
    fakeRunFiles(ws);
    const snap = await takeSnapshot(ws, run, 'task 3');
    const m = JSON.parse(fs.readFileSync(path.join(snap.dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.run).toEqual(run);
    expect(m.created_at).toBe('2026-11-27T22:15:30.000Z');
    expect(m.store).toMatchObject({ kind: 'sqlite', file: 'fat.db' });
    expect(m.files.map((f) => f.path)).toEqual([
      'fat.db',
      'json/run/run_00007.json',
      'json/run_00007/DEgg2026-1-001.json',
      'json/run_00007/DEgg2026-1-002.json',
      'station.toml',
    ]);
    for (const f of m.files) expect(f.sha256).toBe(sha(path.join(snap.dir, f.path)));
    expect(m.raw_data.map((f) => f.path)).toEqual(['gain/20261127_01/DEgg2026-1-001_gain.hdf5', 'gain/20261127_01/notes.txt']);
    for (const f of m.raw_data) {
      const file = path.join(ws.home.dataDir, f.path);
      expect(f).toEqual({ path: f.path, size: fs.statSync(file).size, sha256: sha(file), mtime: fs.statSync(file).mtime.toISOString() });
    }
    expect(await verifySnapshot(snap.dir)).toEqual([]);

    // a raw file that changes gets a new hash in the next snapshot (the hash cache does not hide it)
    const notes = path.join(ws.home.dataDir, 'gain/20261127_01/notes.txt');
    fs.writeFileSync(notes, 'hv 1520\n');
    fs.utimesSync(notes, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    await clock.advance(1000);
    const snap2 = await takeSnapshot(ws, run, 'task 4');
    const m2 = JSON.parse(fs.readFileSync(path.join(snap2.dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m2.raw_data.find((f) => f.path.endsWith('notes.txt'))!.sha256).toBe(sha(notes));
    // the same second and label twice gives two folders, never one overwritten
    const snap3 = await takeSnapshot(ws, run, 'task 4');
    expect(snap3.name).toBe(`${snap2.name}_2`);
  });
});

describe('the raw data of a snapshot', () => {
  it('is laid out as JSON.stringify lays the manifest out, and a corrupt hash cache costs only time', async () => {
    const { ws, run, clock } = await workspace();
    fakeRunFiles(ws);
    // many files in many folders, one with a tab in its name (hashed every time, never cached)
    monitoringFiles(ws, 300);
    fs.writeFileSync(path.join(ws.home.dataDir, 'mon/odd\tname "q".txt'), 'odd');
    const first = await takeSnapshot(ws, run, 'a');
    const text = fs.readFileSync(path.join(first.dir, 'manifest.json'), 'utf8');
    const m = JSON.parse(text) as Manifest;
    expect(text).toBe(JSON.stringify(m, null, 2) + '\n');
    expect(first.rawFiles).toBe(303);
    expect(m.raw_data.map((f) => f.path)).toEqual([...m.raw_data.map((f) => f.path)].sort());
    for (const f of m.raw_data) expect(f.sha256).toBe(sha(path.join(ws.home.dataDir, f.path)));

    // garbage in the cache: every file is hashed again, and rightly
    const cache = path.join(stagingDir(ws), '.raw-hash-cache.tsv');
    expect(fs.readFileSync(cache, 'utf8').split('\n')).toHaveLength(303); // 302 lines and the end; not the odd name
    fs.writeFileSync(cache, 'mon/00/f0.dat\t9\t1\tnot-a-hash\n\u0000\u0001garbage');
    fs.writeFileSync(path.join(ws.home.dataDir, 'mon/00/f0.dat'), 'changed, same mtime?');
    await clock.advance(1000);
    const second = await takeSnapshot(ws, run, 'b');
    const m2 = JSON.parse(fs.readFileSync(path.join(second.dir, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of m2.raw_data) expect(f.sha256).toBe(sha(path.join(ws.home.dataDir, f.path)));
    expect(await verifySnapshot(second.dir)).toEqual([]);
  });

  it('lists the raw files there were at its moment, not those written while it is finished', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    const started = await startSnapshot(ws, run, 'moment');
    fs.writeFileSync(path.join(ws.home.dataDir, 'gain/20261127_01/later.txt'), 'the next task');
    const snap = await started.finish();
    const m = JSON.parse(fs.readFileSync(path.join(snap.dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.raw_data.map((f) => f.path)).toEqual(['gain/20261127_01/DEgg2026-1-001_gain.hdf5', 'gain/20261127_01/notes.txt']);
  });
});

describe('a snapshot on a full disk', () => {
  it('fails naming the disk, leaves no manifest, no half folder and no temporary file, and keeps the hash cache', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    monitoringFiles(ws, 2000);
    const staging = stagingDir(ws);
    fs.mkdirSync(staging, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', staging]);
    cleanups.push(() => void execFileSync('umount', ['-l', staging]));
    await takeSnapshot(ws, run, 'fits'); // the cache is made
    const cache = fs.readFileSync(path.join(staging, '.raw-hash-cache.tsv'), 'utf8');
    for (const d of fs.readdirSync(staging)) if (!d.startsWith('.')) fs.rmSync(path.join(staging, d), { recursive: true });

    const started = await startSnapshot(ws, run, 'no room');
    // the disk fills while the lane hashes: the manifest has no room
    const free = fs.statfsSync(staging).bavail * fs.statfsSync(staging).bsize;
    fs.writeFileSync(path.join(staging, 'filler'), Buffer.alloc(free));
    await expect(started.finish()).rejects.toThrow(/disk full.*backups-staging/i);
    expect(fs.readdirSync(staging).sort()).toEqual(['.raw-hash-cache.tsv', 'filler']);
    expect(fs.readFileSync(path.join(staging, '.raw-hash-cache.tsv'), 'utf8')).toBe(cache);
  });
});

describe("the master's backup lane", () => {
  it('finishes, queues and sends snapshots beside the tasks; one that cannot be taken is a warning and the next one works', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    const dest = tmp('lane-dest');
    cleanups.push(() => fs.rmSync(dest, { recursive: true, force: true }));
    setDestination(ws, dest);
    const warnings: string[] = [];
    const lane = new BackupLane(ws, (w) => warnings.push(w));

    // staging is a file, not a folder: no snapshot can be taken there
    fs.writeFileSync(stagingDir(ws), 'in the way');
    await lane.snapshot(run, 1, '3_measure_gain');
    await lane.drained();
    expect(warnings).toEqual([
      expect.stringMatching(/snapshot after 3_measure_gain could not be taken: .*backups-staging.*the run goes on/),
    ]);
    expect(await ws.db.selectFrom('backups').selectAll().execute()).toEqual([]);

    fs.rmSync(stagingDir(ws));
    await lane.snapshot(run, 2, '4_online_mon');
    await lane.snapshot(run, 3, '5_online_mon');
    await lane.drained();
    expect(warnings).toHaveLength(1);
    const rows = await ws.db.selectFrom('backups').select(['task_id', 'state']).orderBy('id').execute();
    expect(rows).toEqual([
      { task_id: 2, state: 'done' },
      { task_id: 3, state: 'done' },
    ]);
    const sent = fs.readdirSync(path.join(dest, 'run_00007')).sort();
    expect(sent).toEqual([expect.stringMatching(/_4_online_mon$/), expect.stringMatching(/_5_online_mon$/)]);
    for (const name of sent) expect(await verifySnapshot(path.join(dest, 'run_00007', name))).toEqual([]);
  });

  it('after a crash, removes a snapshot left without its manifest and queues one that was complete but not queued', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    const half = await startSnapshot(ws, run, 'half'); // the master died before finish()
    const whole = await startSnapshot(ws, run, 'whole');
    const complete = await whole.finish(); // ... or after it, before the queue
    const queued = await takeSnapshot(ws, run, 'queued');
    await queueBackup(ws, run.id, 9, queued);
    fs.writeFileSync(path.join(stagingDir(ws), '.raw-hash-cache.json'), '{}'); // an older icefat's cache

    expect(await sweepStaging(ws)).toEqual({ removed: 1, queued: 1 });
    expect(fs.existsSync(path.join(stagingDir(ws), half.name))).toBe(false);
    expect(fs.existsSync(path.join(stagingDir(ws), '.raw-hash-cache.json'))).toBe(false);
    const rows = await ws.db.selectFrom('backups').select(['snapshot_path', 'task_id']).orderBy('id').execute();
    expect(rows).toEqual([
      { snapshot_path: queued.dir, task_id: 9 },
      { snapshot_path: complete.dir, task_id: null },
    ]);
    expect(await sweepStaging(ws)).toEqual({ removed: 0, queued: 0 });
  });
});

describe('sending backups', () => {
  it('keeps an unreachable destination queued with its error, backs off, and delivers once it is writable', async () => {
    const { ws, run, clock } = await workspace();
    fakeRunFiles(ws);
    const destParent = tmp('dest');
    cleanups.push(() => fs.rmSync(destParent, { recursive: true, force: true }));
    const dest = path.join(destParent, 'share');
    fs.writeFileSync(dest, 'a file where the backup folder should be');
    setDestination(ws, dest, 60);

    const snap = await takeSnapshot(ws, run, 'task 1');
    const id = await queueBackup(ws, run.id, null, snap);
    const t0 = clock.now();
    let r = await processBackups(ws);
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    expect(r.errors[0]).toMatch(/is not a folder/);
    let row = await ws.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'pending', attempts: 1, destination: dest });
    expect(row.last_error).toMatch(/not a folder/);
    expect(Date.parse(row.next_attempt_at)).toBe(t0 + 60_000);

    // not due yet: nothing is tried
    r = await processBackups(ws, { now: t0 + 30_000 });
    expect(r).toMatchObject({ sent: 0, failed: 0, pending: 1 });
    expect(await backupLag(ws, t0 + 30_000)).toBe(30);

    // due: tried again, fails again, waits twice as long
    r = await processBackups(ws, { now: t0 + 60_000 });
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    row = await ws.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(2);
    expect(Date.parse(row.next_attempt_at)).toBe(t0 + 60_000 + 120_000);
    expect((await backupSummary(ws, t0 + 60_000)).lastError).toMatch(/not a folder/);

    // the share comes back
    fs.rmSync(dest);
    fs.mkdirSync(dest);
    r = await processBackups(ws, { now: t0 + 180_000 });
    expect(r).toMatchObject({ sent: 1, failed: 0, pending: 0, errors: [] });
    row = await ws.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'done', attempts: 3, last_error: null });
    expect(fs.existsSync(snap.dir)).toBe(false); // staging copy removed
    const copied = path.join(dest, 'run_00007', snap.name);
    expect(fs.readdirSync(path.join(dest, 'run_00007'))).toEqual([snap.name]);
    expect(await verifySnapshot(copied)).toEqual([]);
    const m = JSON.parse(fs.readFileSync(path.join(copied, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of m.files) expect(sha(path.join(copied, f.path))).toBe(f.sha256);
    expect(await backupLag(ws, t0 + 180_000)).toBe(0);
  });

  it('says a folder outside the home that does not exist is probably an unmounted share, and never creates it', async () => {
    const { ws, run } = await workspace();
    setDestination(ws, '/proc/icefat-nope/backups');
    await queueBackup(ws, run.id, null, await takeSnapshot(ws, run, 'x'));
    const r = await processBackups(ws);
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    expect(r.errors[0]).toMatch(/\/proc\/icefat-nope\/backups does not exist \(is the network share mounted\?\)/);
  });

  it('the default destination (backups in the home folder) is created and used', async () => {
    const { ws, run } = await workspace();
    const snap = await takeSnapshot(ws, run, 'default');
    await queueBackup(ws, run.id, 11, snap);
    expect(await processBackups(ws)).toMatchObject({ sent: 1, pending: 0 });
    expect(await verifySnapshot(path.join(ws.home.dir, 'backups', 'run_00007', snap.name))).toEqual([]);
  });

  it('a copy left half-done by a crash is not a complete backup and is replaced on the next try', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    const dest = tmp('dest');
    cleanups.push(() => fs.rmSync(dest, { recursive: true, force: true }));
    setDestination(ws, dest);
    const snap = await takeSnapshot(ws, run, 'crash');
    const id = await queueBackup(ws, run.id, null, snap);

    // the process died mid-copy: part of the database, no manifest
    const partial = path.join(dest, 'run_00007', `${snap.name}.partial`);
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, 'fat.db'), fs.readFileSync(path.join(snap.dir, 'fat.db')).subarray(0, 4096));
    expect(await verifySnapshot(partial)).toEqual([expect.stringMatching(/not a complete snapshot/)]);
    expect(fs.existsSync(path.join(dest, 'run_00007', snap.name))).toBe(false);

    expect(await processBackups(ws)).toMatchObject({ sent: 1, pending: 0 });
    expect(fs.readdirSync(path.join(dest, 'run_00007'))).toEqual([snap.name]);
    expect(await verifySnapshot(path.join(dest, 'run_00007', snap.name))).toEqual([]);
    expect((await ws.db.selectFrom('backups').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('done');
  });

  it('a copy renamed into place just before a crash counts as sent; a different one in its place is an error', async () => {
    const { ws, run } = await workspace();
    const dest = tmp('dest');
    cleanups.push(() => fs.rmSync(dest, { recursive: true, force: true }));
    setDestination(ws, dest);
    const a = await takeSnapshot(ws, run, 'a');
    fs.cpSync(a.dir, path.join(dest, 'run_00007', a.name), { recursive: true });
    await queueBackup(ws, run.id, null, a);
    expect(await processBackups(ws)).toMatchObject({ sent: 1, failed: 0 });

    const b = await takeSnapshot(ws, run, 'b');
    fs.mkdirSync(path.join(dest, 'run_00007', b.name, 'something'), { recursive: true });
    await queueBackup(ws, run.id, null, b);
    const r = await processBackups(ws);
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    expect(r.errors[0]).toMatch(/already exists and holds a different snapshot/);
  });

  it('a snapshot that vanished from staging fails for good instead of retrying forever', async () => {
    const { ws, run } = await workspace();
    const snap = await takeSnapshot(ws, run, 'gone');
    const id = await queueBackup(ws, run.id, null, snap);
    fs.rmSync(snap.dir, { recursive: true });
    const r = await processBackups(ws);
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 0 });
    expect(r.errors[0]).toMatch(/gone from staging/);
    const row = await ws.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.state).toBe('failed');
    expect((await backupSummary(ws)).failed).toBe(1);
  });

  const haveRsync = spawnSync('rsync', ['--version']).status === 0;

  it.runIf(haveRsync)('sends through rsync, creating the run folder, with the manifest at the far end', async () => {
    const { ws, run } = await workspace();
    fakeRunFiles(ws);
    const dest = tmp('rsync');
    cleanups.push(() => fs.rmSync(dest, { recursive: true, force: true }));
    setDestination(ws, dest);
    const snap = await takeSnapshot(ws, run, 'rsync');
    await queueBackup(ws, run.id, null, snap);
    expect(await processBackups(ws, { via: 'rsync' })).toMatchObject({ sent: 1, failed: 0, pending: 0 });
    const copied = path.join(dest, 'run_00007', snap.name);
    expect(await verifySnapshot(copied)).toEqual([]);
    expect(fs.readdirSync(copied).sort()).toEqual(['fat.db', 'json', 'manifest.json', 'station.toml']);
  });

  it.runIf(haveRsync)('an rsync target that cannot be reached stays queued with rsync’s reason', async () => {
    const { ws, run } = await workspace();
    setDestination(ws, '/proc/icefat-nope/backups');
    await queueBackup(ws, run.id, null, await takeSnapshot(ws, run, 'x'));
    const r = await processBackups(ws, { via: 'rsync', rsyncTimeoutS: 20 });
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    expect(r.errors[0]).toMatch(/rsync to \/proc\/icefat-nope\/backups failed \(exit \d+\)/);
  });

  it('without rsync the error says it is not installed', async () => {
    const { ws, run } = await workspace();
    setDestination(ws, 'backup-host:/srv/fat');
    await queueBackup(ws, run.id, null, await takeSnapshot(ws, run, 'x'));
    const r = await processBackups(ws, { rsyncProgram: haveRsync ? '/nonexistent/rsync' : 'rsync' });
    expect(r).toMatchObject({ sent: 0, failed: 1, pending: 1 });
    expect(r.errors[0]).toMatch(/rsync is not installed/);
  });
});

describe('destinations', () => {
  it('reads host:path and rsync:// as rsync targets and anything else as a folder', () => {
    const home = '/home/fat/fat-home';
    expect(parseDestination('backup:/srv/fat', home)).toEqual({ kind: 'rsync', target: 'backup:/srv/fat' });
    expect(parseDestination('fat@backup.lab:/srv/fat', home)).toEqual({ kind: 'rsync', target: 'fat@backup.lab:/srv/fat' });
    expect(parseDestination('rsync://backup/fat', home)).toEqual({ kind: 'rsync', target: 'rsync://backup/fat' });
    expect(parseDestination('backups', home)).toEqual({ kind: 'folder', dir: `${home}/backups`, insideHome: true });
    expect(parseDestination('./odd:name', home)).toEqual({ kind: 'folder', dir: `${home}/odd:name`, insideHome: true });
    expect(parseDestination('/mnt/fat-backup', home)).toEqual({ kind: 'folder', dir: '/mnt/fat-backup', insideHome: false });
  });
});

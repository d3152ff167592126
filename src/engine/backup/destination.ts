import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyTreeDurably } from './files.js';
import { MANIFEST, readManifestHead, sizeMismatch } from './manifest.js';

export type Destination = { kind: 'folder'; dir: string; insideHome: boolean } | { kind: 'rsync'; target: string };

/**
 * Reads the station's `backup.destination`. Like rsync itself, a colon before the first slash
 * means a remote target (host:/path, user@host:/path); rsync://host/module is the daemon form.
 * Anything else is a folder, relative to the home folder unless absolute.
 */
export function parseDestination(dest: string, homeDir: string): Destination {
  const d = dest.trim();
  if (d.startsWith('rsync://')) return { kind: 'rsync', target: d };
  const colon = d.indexOf(':');
  const slash = d.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) return { kind: 'rsync', target: d };
  const dir = path.resolve(homeDir, d);
  const rel = path.relative(homeDir, dir);
  return { kind: 'folder', dir, insideHome: !rel.startsWith('..') && !path.isAbsolute(rel) };
}

export interface SendJob {
  /** the complete snapshot folder in staging */
  stagingDir: string;
  /** snapshot folder name, kept at the destination */
  name: string;
  /** run_NNNNN: snapshots are grouped by run at the destination */
  runDir: string;
}

/**
 * Copies a snapshot into `<dest>/run_NNNNN/<name>`. The copy is made as `<name>.partial` and
 * renamed only once every file is on disk, so a crash or an unplugged share mid-copy never
 * leaves something that looks like a complete backup.
 *
 * A destination inside the home folder is created when missing. One outside it must already
 * exist: an absent /mnt/backup usually means the network share is not mounted, and creating
 * the folder would quietly fill the local disk instead.
 */
export async function sendToFolder(job: SendJob, dest: Extract<Destination, { kind: 'folder' }>): Promise<void> {
  if (!fs.existsSync(dest.dir)) {
    if (!dest.insideHome) throw new Error(`backup folder ${dest.dir} does not exist (is the network share mounted?)`);
    await fs.promises.mkdir(dest.dir, { recursive: true });
  }
  if (!fs.statSync(dest.dir).isDirectory()) throw new Error(`backup destination ${dest.dir} is not a folder`);
  const runDir = path.join(dest.dir, job.runDir);
  await fs.promises.mkdir(runDir, { recursive: true });
  const final = path.join(runDir, job.name);
  const ours = path.join(job.stagingDir, MANIFEST);
  if (fs.existsSync(final)) {
    // an earlier attempt renamed the copy into place and then the process died before recording it
    if (sameContent(ours, path.join(final, MANIFEST))) return;
    throw new Error(`${final} already exists and holds a different snapshot; move it away and the backup will be retried`);
  }
  const partial = `${final}.partial`;
  await fs.promises.rm(partial, { recursive: true, force: true }); // left by a crash: start over
  await copyTreeDurably(job.stagingDir, partial);
  const manifest = readManifestHead(partial);
  const wrong = !manifest
    ? 'manifest.json is missing'
    : fs.statSync(path.join(partial, MANIFEST)).size !== fs.statSync(ours).size
      ? 'manifest.json has another size than the one in staging'
      : sizeMismatch(partial, manifest);
  if (wrong) throw new Error(`the copy in ${partial} is incomplete: ${wrong}`);
  await fs.promises.rename(partial, final);
}

export interface RsyncOptions {
  /** the rsync program (default: `rsync` on PATH) */
  program: string;
  /** limit for each rsync call, in wall seconds */
  timeoutS: number;
}

/**
 * Sends a snapshot with rsync in three calls: create run_NNNNN (rsync only creates the last
 * component of a target path, and --mkpath needs rsync >= 3.2.3 on both ends), copy everything
 * but the manifest, then the manifest, so that at the far end too its presence means complete.
 * --partial-dir keeps half-sent files out of sight and lets a retry resume them.
 */
export async function sendWithRsync(job: SendJob, target: string, opts: RsyncOptions): Promise<void> {
  const base = target.replace(/\/+$/, '');
  const runTarget = `${base}/${job.runDir}/`;
  const snapTarget = `${runTarget}${job.name}/`;
  const src = job.stagingDir.replace(/\/+$/, '');
  await rsync(opts, ['-a', '--exclude=*', `${src}/`, runTarget], target);
  await rsync(opts, ['-a', '--partial-dir=.rsync-partial', `--exclude=/${MANIFEST}`, `${src}/`, snapTarget], target);
  await rsync(opts, ['-a', '--partial-dir=.rsync-partial', `${src}/${MANIFEST}`, `${snapTarget}${MANIFEST}`], target);
}

function rsync(opts: RsyncOptions, args: string[], target: string): Promise<void> {
  const env = { ...process.env };
  // A service has nobody to type a password or accept a host key: fail fast instead of hanging.
  env.RSYNC_RSH ??= 'ssh -o BatchMode=yes -o ConnectTimeout=20';
  const ioTimeoutS = Math.max(10, Math.round(opts.timeoutS / 2));
  return new Promise((resolve, reject) => {
    execFile(
      opts.program,
      [`--timeout=${ioTimeoutS}`, ...args],
      { timeout: opts.timeoutS * 1000, env, maxBuffer: 1 << 20 },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        if (e.code === 'ENOENT') {
          return reject(
            new Error(
              `rsync is not installed (\`${opts.program}\` not found on PATH): install it (apt-get install rsync) or back up to a folder`,
            ),
          );
        }
        if (e.killed) return reject(new Error(`rsync to ${target} did not finish within ${opts.timeoutS} s (is the host reachable?)`));
        const why = String(stderr).trim().split('\n').slice(-3).join(' / ') || e.message;
        reject(new Error(`rsync to ${target} failed (exit ${String(e.code)}): ${why}`));
      },
    );
  });
}

/** Whether two files hold the same bytes (false when either cannot be read). */
function sameContent(a: string, b: string): boolean {
  try {
    return fs.statSync(a).size === fs.statSync(b).size && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

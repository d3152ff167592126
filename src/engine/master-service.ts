import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import { REPO_ROOT } from '../util/repo-root.js';
import { fatNodeArgs } from '../util/node-heap.js';
import { latestSchedule } from './journal.js';
import { leaseHolder } from './lease.js';

/**
 * The master started as a service at the end of `fat preflight`: under the systemd unit
 * `icefat-master@<station>` where it is installed (deploy/README.md; its env file names the home
 * and the schedule), otherwise as a detached `fat master` whose output goes to
 * `logs/master_run_NNNNN.log`. Either way this waits until the master holds the station and has
 * begun the run, or says why it did not.
 */
export interface MasterService {
  how: 'systemd' | 'detached';
  /** the systemd unit, or undefined */
  unit?: string;
  /** the detached master's process id */
  pid?: number;
  /** where its output goes: a file, or the journalctl command */
  log: string;
}

export class MasterStartError extends Error {
  override name = 'MasterStartError';
}

const UNIT_ENV_DIR = '/etc/icefat';

/** The station's systemd unit when its template is installed and systemd answers; FAT_SYSTEMD=0 never uses it. */
export function installedUnit(ws: Workspace): string | undefined {
  if (process.env.FAT_SYSTEMD === '0') return undefined;
  const unit = `icefat-master@${ws.station.name}.service`;
  const r = spawnSync('systemctl', ['show', '-p', 'LoadState', '--value', unit], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout.trim() === 'loaded' ? unit : undefined;
}

export async function startMasterService(
  ws: Workspace,
  runId: number,
  runNumber: number,
  config: string,
  opts: { allowDirty: boolean; operator: string; timeoutMs?: number },
): Promise<MasterService> {
  const before = (await latestSchedule(ws, runId))?.id ?? 0;
  const unit = installedUnit(ws);
  if (unit) {
    startUnit(ws, unit, config);
    await waitForMaster(ws, runId, before, opts.timeoutMs, () => undefined, `journalctl -u ${unit}`);
    return { how: 'systemd', unit, log: `journalctl -u ${unit} -f` };
  }
  const log = path.join(ws.home.logsDir, `master_run_${String(runNumber).padStart(5, '0')}.log`);
  fs.mkdirSync(ws.home.logsDir, { recursive: true });
  const fd = fs.openSync(log, 'a');
  const args = fatNodeArgs('--home', ws.home.dir, 'master', path.resolve(config));
  if (opts.allowDirty) args.push('--allow-dirty');
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FAT_OPERATOR: opts.operator, NO_COLOR: '1' },
  });
  fs.closeSync(fd);
  let exit: number | null | undefined;
  child.on('exit', (code, signal) => (exit = code ?? (signal ? 128 : 1)));
  child.unref();
  await waitForMaster(ws, runId, before, opts.timeoutMs, () => exit, log, child.pid);
  return { how: 'detached', pid: child.pid, log };
}

/** Writes the home and schedule into the unit's env file, then starts the unit (directly, or through sudo without a password). */
function startUnit(ws: Workspace, unit: string, config: string): void {
  const instance = unit.replace(/^icefat-master@/, '').replace(/\.service$/, '');
  const envFile = path.join(UNIT_ENV_DIR, `${instance}.env`);
  const lines = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8').split('\n') : [`ICEFAT_DIR=${REPO_ROOT}`];
  const set = (key: string, value: string) => {
    const i = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (i >= 0) lines[i] = `${key}=${value}`;
    else lines.splice(0, 0, `${key}=${value}`);
  };
  set('FAT_HOME', ws.home.dir);
  set('FAT_CONFIG', path.resolve(config));
  const how = `set FAT_HOME=${ws.home.dir} and FAT_CONFIG=${path.resolve(config)} in ${envFile}, then: sudo systemctl start ${unit}`;
  try {
    fs.writeFileSync(envFile, lines.join('\n').replace(/\n*$/, '\n'));
  } catch (e) {
    throw new MasterStartError(`the systemd unit ${unit} is installed, but ${envFile} cannot be written (${(e as Error).message}): ${how}`);
  }
  for (const cmd of [
    ['systemctl', 'start', unit],
    ['sudo', '-n', 'systemctl', 'start', unit],
  ]) {
    if (spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore', timeout: 30_000 }).status === 0) return;
  }
  throw new MasterStartError(`systemctl could not start ${unit} (no permission?): sudo systemctl start ${unit}`);
}

async function waitForMaster(
  ws: Workspace,
  runId: number,
  /** the run's latest schedule before the start: the master's is a newer one */
  before: number,
  timeoutMs = 180_000,
  exited: () => number | null | undefined,
  log: string,
  pid?: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lease = await leaseHolder(ws);
    const sched = await latestSchedule(ws, runId);
    const holds = lease && !lease.dead && (pid === undefined || lease.pid === pid);
    if (holds && sched && sched.id > before && sched.state === 'active') return;
    const code = exited();
    if (code !== undefined)
      throw new MasterStartError(`the master exited at start (code ${code}) before it began the run: see ${log}\n${tail(log)}`);
    if (Date.now() > until) throw new MasterStartError(`the master did not begin the run within ${timeoutMs / 1000} s: see ${log}`);
    // wall: a master process starting up (a real process, whatever clock it then runs on)
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last lines of a log file, for an error that must say why without another command. */
function tail(file: string, n = 8): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .map((l) => `  | ${l}`)
      .join('\n');
  } catch {
    return '';
  }
}

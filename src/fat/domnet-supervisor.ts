import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Station } from '../lab/station.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { parseDomnetReport } from './domnet-report.js';

/**
 * Keeps the station's DomNet instances running, as the original `setup` screen session did: one
 * `domnet <tty> -c <config> -p <base_port> -n <n>` per wire pair, its report read from stderr, and
 * a restart when an instance that was up dies. Its state goes to a status file that `fat setup`,
 * `fat status` and the master read.
 */
export interface InstanceStatus {
  index: number;
  tty: string;
  basePort: number;
  icmPort: number;
  state: 'starting' | 'up' | 'failed' | 'restarting' | 'stopped';
  pid?: number;
  addresses: number[];
  report: string[];
  error?: string;
  restarts: number;
  since: string;
}

export interface SupervisorStatus {
  supervisorPid: number;
  startedAt: string;
  stopped: boolean;
  instances: InstanceStatus[];
}

const REPORT_LINES = 3;
const RESTART_DELAY_MS = 5000;

export function readSupervisorStatus(file: string): SupervisorStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SupervisorStatus;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function runSupervisor(station: Station, statusFile: string, log: (m: string) => void): Promise<void> {
  const status: SupervisorStatus = {
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    stopped: false,
    instances: station.domnet.instances.map((inst, index) => ({
      index,
      tty: inst.tty,
      basePort: inst.base_port,
      icmPort: inst.base_port + 1000,
      state: 'starting',
      addresses: [],
      report: [],
      restarts: 0,
      since: new Date().toISOString(),
    })),
  };
  const children = new Map<number, ChildProcess>();
  const save = () => writeJsonAtomic(statusFile, status);
  save();

  const start = (i: InstanceStatus) => {
    const [cmd, ...fixed] = station.domnet.program;
    const n = station.domnet.devices_per_wire_pair;
    const args = [...fixed, i.tty, '-c', station.domnet.config, '-p', String(i.basePort), '-n', String(n)];
    log(`starting DomNet ${i.index}: ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.set(i.index, child);
    i.pid = child.pid;
    i.report = [];
    // wall: a watchdog on a real DomNet process's start, cleared when it reports
    const reportTimer = setTimeout(() => {
      if (i.state !== 'starting' && i.state !== 'restarting') return;
      i.state = 'failed';
      i.error = `no report within ${station.domnet.start_timeout_s} s (got ${i.report.length} of ${REPORT_LINES} lines)`;
      save();
      child.kill('SIGTERM');
    }, station.domnet.start_timeout_s * 1000);
    const rl = readline.createInterface({ input: child.stderr });
    rl.on('line', (line) => {
      log(`[domnet ${i.index}] ${line}`);
      if (i.report.length >= REPORT_LINES) return;
      i.report.push(line);
      if (i.report.length === REPORT_LINES) {
        clearTimeout(reportTimer);
        const r = parseDomnetReport(i.report, n);
        i.addresses = r.addresses;
        i.state = r.ok ? 'up' : 'failed';
        i.error = r.reason;
        i.since = new Date().toISOString();
        save();
        if (!r.ok) child.kill('SIGTERM');
      }
    });
    child.on('error', (e) => {
      clearTimeout(reportTimer);
      i.state = 'failed';
      i.error = `cannot start ${cmd}: ${e.message}`;
      save();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(reportTimer);
      children.delete(i.index);
      if (status.stopped) return;
      const wasUp = i.state === 'up';
      if (i.state === 'starting' || i.state === 'restarting') {
        i.state = 'failed';
        i.error = `exited (${signal ?? `code ${code}`}) before its report: ${i.report.join(' | ') || 'no output'}`;
      }
      log(`DomNet ${i.index} exited (${signal ?? `code ${code}`})`);
      if (wasUp) {
        // an instance that was serving its wire pair and died gets restarted, as a shifter would
        i.state = 'restarting';
        i.restarts++;
        i.error = `exited (${signal ?? `code ${code}`}); restarting`;
        save();
        // wall: the restart delay of a real process
        setTimeout(() => !status.stopped && start(i), RESTART_DELAY_MS);
      } else {
        save();
      }
    });
  };

  for (const i of status.instances) start(i);

  await new Promise<void>((resolve) => {
    const stop = () => {
      status.stopped = true;
      for (const i of status.instances) i.state = 'stopped';
      save();
      for (const c of children.values()) c.kill('SIGTERM');
      log('supervisor stopped; DomNet instances terminated');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

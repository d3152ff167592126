import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fatNodeArgs } from '../util/node-heap.js';
import { modulePorts } from '../lab/station.js';
import { recordChecks, recordEvent, type CheckItem } from '../records/check-results.js';
import { processAlive, readSupervisorStatus, type InstanceStatus, type SupervisorStatus } from './domnet-supervisor.js';
import type { Workspace } from '../station/workspace.js';
import { enableInterlocks, verifyModule, type ModuleCheck } from '../station/module-link.js';

/**
 * `fat setup`: start the station's four DomNet instances under a supervisor that outlives this
 * command (the original kept them in a screen session), read their reports, enable the ICM
 * interlocks, and check that every mainboard answers with a configured FPGA (flashing it when it
 * is not, as the original setup offered to).
 */
export interface SetupResult {
  ok: boolean;
  instances: Array<Pick<InstanceStatus, 'index' | 'tty' | 'basePort' | 'icmPort' | 'state' | 'error' | 'addresses'>>;
  modules: ModuleCheck[];
  summary: string;
}

export async function stopSupervisor(ws: Workspace, timeoutMs = 5000): Promise<boolean> {
  const st = readSupervisorStatus(ws.home.domnetStatusFile);
  if (!st || !processAlive(st.supervisorPid)) return false;
  process.kill(st.supervisorPid, 'SIGTERM');
  const until = Date.now() + timeoutMs;
  // wall: a real process exiting
  while (processAlive(st.supervisorPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(st.supervisorPid)) process.kill(st.supervisorPid, 'SIGKILL');
  return true;
}

function startSupervisorProcess(ws: Workspace): number {
  fs.rmSync(ws.home.domnetStatusFile, { force: true });
  const logFd = fs.openSync(path.join(ws.home.logsDir, 'domnet.log'), 'a');
  const child = spawn(process.execPath, fatNodeArgs('--home', ws.home.dir, 'setup', '--supervise'), {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  child.unref();
  fs.closeSync(logFd);
  return child.pid!;
}

async function waitForReports(ws: Workspace, pid: number): Promise<SupervisorStatus> {
  const until = Date.now() + (ws.station.domnet.start_timeout_s + 10) * 1000;
  for (;;) {
    const st = readSupervisorStatus(ws.home.domnetStatusFile);
    if (st && st.supervisorPid === pid && st.instances.every((i) => i.state !== 'starting' && i.state !== 'restarting')) return st;
    if (!processAlive(pid)) throw new Error(`the DomNet supervisor exited at start: see ${path.join(ws.home.logsDir, 'domnet.log')}`);
    if (Date.now() > until)
      throw new Error(
        `DomNet instances did not report within ${ws.station.domnet.start_timeout_s + 10} s: see ${path.join(ws.home.logsDir, 'domnet.log')}`,
      );
    // wall: real DomNet processes starting
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runSetup(ws: Workspace, progress: (line: string) => void = () => {}): Promise<SetupResult> {
  if (await stopSupervisor(ws)) progress('stopped the DomNet instances of an earlier `fat setup`');
  const pid = startSupervisorProcess(ws);
  const st = await waitForReports(ws, pid);
  const up = st.instances.filter((i) => i.state === 'up');
  const host = ws.station.daq_host;
  const n = ws.station.domnet.devices_per_wire_pair;

  const interlockFailures = new Map<number, string>();
  for (const i of up) {
    for (const [d, why] of await enableInterlocks(host, i.icmPort, n)) interlockFailures.set(i.basePort + d, why);
  }
  const ports = modulePorts(ws.station).filter((p) => up.some((i) => p >= i.basePort && p < i.basePort + n));
  const modules = (await Promise.all(ports.map((p) => verifyModule(host, p, ws.station.expected.fpga_version, ws.clock)))).map((m) => {
    const why = interlockFailures.get(m.port);
    return why && m.ok ? { ...m, ok: false, message: `answers, but its interlocks could not be enabled: ${why}` } : m;
  });
  const answering = modules.filter((m) => m.ok).length;
  const total = modulePorts(ws.station).length;
  const ok = up.length === st.instances.length && answering === total;
  const summary = `DomNet ${up.length}/${st.instances.length} OK, D-Eggs ${answering}/${total} answering`;

  const items: CheckItem[] = [
    ...st.instances.map((i) => ({
      check: 'setup',
      subject: `DomNet ${i.index} (${i.tty}, ports ${i.basePort}-${i.basePort + n - 1})`,
      reading: { state: i.state, addresses: i.addresses },
      tolerance: `ICMs 0..${n - 1} and 8 detected`,
      verdict: i.state === 'up' ? ('pass' as const) : ('fail' as const),
      message: i.state === 'up' ? `ICMs detected at ${i.addresses.join(' ')}` : (i.error ?? i.state),
    })),
    ...modules.map((m) => ({
      check: 'setup',
      subject: `D-Egg on port ${m.port}`,
      reading: m,
      tolerance: `answers; FPGA version ${ws.station.expected.fpga_version}`,
      verdict: m.ok ? ('pass' as const) : ('fail' as const),
      message: m.message,
    })),
  ];
  await recordChecks(ws, null, items);
  await recordEvent(ws, null, ok ? 'info' : 'warn', 'setup', summary, { instances: st.instances });
  return {
    ok,
    instances: st.instances.map(({ index, tty, basePort, icmPort, state, error, addresses }) => ({
      index,
      tty,
      basePort,
      icmPort,
      state,
      error,
      addresses,
    })),
    modules,
    summary,
  };
}

/** Ports whose DomNet instance is up according to the supervisor (all ports when none ran). */
export function servedPorts(ws: Workspace): number[] {
  const all = modulePorts(ws.station);
  const st = readSupervisorStatus(ws.home.domnetStatusFile);
  if (!st || !processAlive(st.supervisorPid)) return all;
  const n = ws.station.domnet.devices_per_wire_pair;
  return all.filter((p) => st.instances.some((i) => i.state === 'up' && p >= i.basePort && p < i.basePort + n));
}

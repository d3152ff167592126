import fs from 'node:fs';

/** CPU time and peak memory of a process, as the kernel counts them. */
export interface ProcessUsage {
  /** user + system CPU seconds */
  cpuS: number;
  /** the most resident memory it has held (VmHWM), MB */
  peakRssMB: number;
}

/** clock ticks per second of /proc/PID/stat's times: 100 on every Linux that Node supports */
const CLK_TCK = 100;

/**
 * Another process's usage, read from /proc (Linux) while it still runs; undefined where there is
 * no /proc or it has exited. A process's own usage is `process.resourceUsage()`.
 */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name, which is in parentheses and may hold spaces
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, peakRssMB: hwm ? Number(hwm[1]) / 1024 : NaN };
  } catch {
    return undefined;
  }
}

import { spawn } from 'node:child_process';
import { fatNodeArgs } from '../util/node-heap.js';
import { processUsage, type ProcessUsage } from '../util/proc-usage.js';

/**
 * The simulated lab in a process of its own, on virtual time (`fat sim start --virtual-time`):
 * the lab keeps lab time and serves it on its clock port, so a master in another process follows
 * it (clock/clock-link.ts) and can be measured, killed and restarted on its own. The home folder
 * gets the lab's station file (clock.lab_clock) and module registry if it has none.
 */
export interface LabProcess {
  pid: number;
  basePort: number;
  /** its CPU time and peak memory so far (Linux), undefined once it has exited */
  usage(): ProcessUsage | undefined;
  /** stops it (SIGTERM) and waits for it to exit */
  close(): Promise<void>;
}

/** how long a lab may take to bind its ports and print its banner (a rebuild of `fat` included) */
const START_TIMEOUT_MS = 60_000;

export async function startLabProcess(opts: { home: string; seed: number; basePort: number }): Promise<LabProcess> {
  const args = fatNodeArgs('--home', opts.home, 'sim', 'start', '--virtual-time');
  args.push('--seed', String(opts.seed), '--base-port', String(opts.basePort), '--domnet', 'auto');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // a lab left behind by a master that ends is of no use to anybody
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  let output = '';
  let started = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`the simulated lab (fat sim start --virtual-time --base-port ${opts.basePort}) ${why}:\n${output.trim()}`));
    }
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!started && output.includes('Press Ctrl+C to stop.')) {
        started = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code, signal) => {
      if (!started) fail(`exited with ${code ?? signal}`);
    });
  });
  // keep reading, so a lab that writes more never blocks on a full pipe
  child.stdout.resume();
  child.stderr.resume();
  const pid = child.pid!;
  return {
    pid,
    basePort: opts.basePort,
    usage: () => processUsage(pid),
    close: async () => {
      process.off('exit', stopOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

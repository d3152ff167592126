import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { checkBasePort, firstFreeBase, simPorts } from '../sim/layout.js';
import { fatNodeArgs } from '../util/node-heap.js';
import { CliError } from './common.js';
import { intOption, numberOption } from './parse.js';

/**
 * `fat demo`: the simulated lab in-process, a fresh home folder, and the shifter's checklist run
 * through the real `fat preflight` (which ends with the master started as a service on a short
 * FAT), exactly as a shifter would type it; the master's prompt is answered from a second terminal.
 */
export function registerDemo(program: Command<[], { home?: string }>): void {
  program
    .command('demo')
    .description('the pre-run checklist, a gain scan and a short FAT under the master on the simulated lab, in a fresh temporary home')
    .option('--seed <n>', 'seed of the simulated lab', intOption('--seed'), 1)
    .option('--time-scale <x>', 'lab time runs X times faster than wall time', numberOption('--time-scale'), 20)
    .option('--base-port <p>', 'base port of the simulated lab (default: the first free of 5000, 15000, 25000)', intOption('--base-port'))
    .option('--keep', 'leave the DomNet instances and the lab running until Ctrl+C')
    .option('--port <n>', 'port of the dashboard served at the end (taken: any free one)', intOption('--port'), 8080)
    .option('--no-serve', 'end without serving the dashboard (for scripts)')
    .action(async (opts) => {
      const { dir, lab } = await startDemoLab(opts);
      say(`home folder: ${dir}\n`);
      const failed: string[] = [];
      try {
        // the master on a short FAT: the seed's example schedule with fewer events per measurement
        const schedule = path.join(dir, 'demo_schedule.ini');
        fs.writeFileSync(schedule, demoSchedule(path.join(dir, 'json/run/run_00001.json')));
        // the shifter's first command: the whole checklist, then the master as a service; the
        // simulated lab of a demo does not mind uncommitted changes of the checkout
        const args = [
          'preflight',
          '--yes',
          '--comment',
          'icefat demo batch, room temperature',
          '--schedule',
          schedule,
          '--freq',
          '100',
          '--visibility-events',
          '300',
          '--gain-events',
          '1500',
          '--allow-dirty',
        ];
        say(`\n=== The Quick Check list, then the master script (fat_master.py) on ${schedule}\n$ fat ${args.map(quote).join(' ')}`);
        if ((await runFat(dir, args)) !== 0) failed.push('fat preflight');
        else {
          const log = path.join(dir, 'logs/master_run_00001.log');
          say(`\n=== The master's output (${log}); a second terminal answers its prompt`);
          const stop = followLog(log);
          await answerWhenAsked(dir);
          const state = await masterEnded(dir);
          stop();
          if (state !== 'completed') failed.push(`fat master (schedule ${state ?? 'not started'})`);
        }
        say('\n$ fat status');
        await runFat(dir, ['status']);
        say('\n=== Verdicts against the goalposts (config/goalposts.toml)\n$ fat results');
        if ((await runFat(dir, ['results'])) !== 0) failed.push('fat results');
        say('\n=== What was written');
        say(`  run file:     ${path.join(dir, 'json/run/run_00001.json')}`);
        say(
          `  D-Egg files:  ${path.join(dir, 'json/run_00001/')} (${fs.existsSync(path.join(dir, 'json/run_00001')) ? fs.readdirSync(path.join(dir, 'json/run_00001')).length : 0} files)`,
        );
        say(`  raw data:     ${path.join(dir, 'data/')} (HDF5, one folder per measurement; docs/raw-data.md)`);
        say(`  store:        ${path.join(dir, 'fat.db')} (runs, modules, checks, results, the master's journal, events)`);
        say(`  run log:      ${path.join(dir, 'logs/run_00001.log')}`);
        say(`  backups:      ${path.join(dir, 'backups/run_00001/')}`);
        say(`  DomNet log:   ${path.join(dir, 'logs/domnet.log')}`);
        if (opts.keep) {
          say(`\nThe lab and DomNet keep running; try: FAT_HOME=${dir} npx fat check peripherals   (Ctrl+C to stop)`);
          await new Promise<void>((r) => process.once('SIGINT', () => r()));
        }
      } finally {
        await runFat(dir, ['setup', '--stop'], true);
        await lab.close();
      }
      if (!failed.length)
        say('\nThe checklist, the gain scan and a short FAT ran; `fat results --module SERIAL` shows one module in detail.');
      if (opts.serve) await serveDashboard(dir, opts.port);
      if (failed.length) throw new CliError(`demo: ${failed.length} step(s) failed: ${failed.join('; ')}`);
    });
}

const say = (s: string) => process.stdout.write(s + '\n');

/** A free base port (or --base-port), a fresh home folder, and the simulated lab in it with its registry. */
async function startDemoLab(opts: { seed: number; timeScale: number; basePort?: number }) {
  const { ensureHome } = await import('../station/workspace.js');
  const { registryToml } = await import('../station/registry.js');
  const { startSimLab } = await import('../sim/lab.js');
  const { simRegistry } = await import('../fat/sim-registry.js');
  const basePort = opts.basePort ?? (await freeDemoBase([5000, 15000, 25000, 35000]));
  checkBasePort(basePort); // before anything is written: a --base-port whose lab would not fit is refused at once
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-demo-'));
  const home = ensureHome(dir, { seed: opts.seed, basePort, timeScale: opts.timeScale });
  const lab = await startSimLab({ seed: opts.seed, basePort, timeScale: opts.timeScale });
  fs.writeFileSync(home.registryFile, registryToml(simRegistry(lab.truth)));
  say(
    `icefat demo: simulated FAT lab (seed ${opts.seed}, lab time x${opts.timeScale}) on 127.0.0.1:${basePort}..${simPorts(basePort).prologix}`,
  );
  return { dir, lab };
}

/** `fat serve` on the demo's home (127.0.0.1:port, else any free port) until Ctrl+C. */
async function serveDashboard(dir: string, port: number): Promise<void> {
  const { openWorkspace } = await import('../station/workspace.js');
  const { startServer } = await import('../web/server.js');
  const ws = await openWorkspace(dir);
  try {
    const server = await startServer(ws, '127.0.0.1', port).catch(() => startServer(ws, '127.0.0.1', 0));
    say(`\n=== The dashboard of this run: ${server.url}/  (fat serve; Ctrl+C stops)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.close();
  } finally {
    await ws.close();
  }
}

/** The seed's example schedule, shortened: fewer events and windows per measurement. */
function demoSchedule(runFile: string): string {
  return [
    '[constants]',
    `run_file = ${runFile}`,
    'verbose = True',
    '',
    '[wait_time_0]\ntask = wait_time\npause = 60\n',
    '[status_check_0]\ntask = status_check\nrun_backup = True\n',
    '[measure_stf_0]\ntask = measure_stf\ncomment = demo\n',
    '[measure_gain_0]\ntask = measure_gain\ncomment = demo check\nmode = check\nn_events = 1500\n',
    '[measure_scaler_0]\ntask = measure_scaler\ncomment = demo\nn_runs = 100\nrun_backup = True\n',
    '[measure_linearity_0]\ntask = measure_linearity\ncomment = demo\nn_events = 200\n',
    '[measure_long_waveform_0]\ntask = measure_long_waveform\ncomment = demo\nn_events = 200\n',
    '[measure_baseline_flasher_0]\ntask = measure_baseline_flasher\ncomment = demo\nn_events = 50\n',
    '[readout_and_reboot_0]\ntask = readout_and_reboot\ncomment = demo warm reboot\n',
    '[set_freezer_0]\ntask = set_freezer\nfcurrent = 20\nfdelta = -60\nwait_reached = False\n',
    '[manual_input_0]\ntask = manual_input\nmessage = The freezer is set to -40 C. Continue the schedule?\n',
    '[disable_laser_0]\ntask = disable_laser\n',
  ].join('\n');
}

/**
 * Plays the second terminal: waits for the master's prompt, then answers it with `fat answer yes`.
 * (The demo's looks here and below are wall time: they poll other processes for a person watching.)
 */
async function answerWhenAsked(home: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const out = await fatOutput(home, ['status', '--json']);
    let status: { prompt: unknown; master: unknown } | undefined;
    try {
      status = JSON.parse(out) as { prompt: unknown; master: unknown };
    } catch {
      continue;
    }
    if (status.prompt) {
      say('\n--- second terminal ---\n$ fat answer yes');
      await runFat(home, ['answer', 'yes']);
      say('--- back to the master ---');
      return;
    }
    if (!status.master && i > 20) return;
  }
}
/** Prints what is appended to `file` until the returned function is called (and once more then). */
function followLog(file: string): () => void {
  let at = 0;
  const show = () => {
    if (!fs.existsSync(file)) return;
    const size = fs.statSync(file).size;
    if (size <= at) return;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - at);
    fs.readSync(fd, buf, 0, buf.length, at);
    fs.closeSync(fd);
    at = size;
    process.stdout.write(buf);
  };
  const timer = setInterval(show, 300);
  return () => {
    clearInterval(timer);
    show();
  };
}

/** Waits until no master holds the station any more (the short FAT has ended); the schedule's state then. */
async function masterEnded(home: string): Promise<string | undefined> {
  for (let i = 0; i < 3600; i++) {
    const out = await fatOutput(home, ['status', '--json']);
    try {
      const s = JSON.parse(out) as { master: unknown; schedule: { state: string } | null };
      if (!s.master) return s.schedule?.state;
    } catch {
      // a status read while the store is busy: look again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return 'still running after 30 min';
}

function fatOutput(home: string, args: string[]): Promise<string> {
  return new Promise<string>((resolve) => {
    const child = spawn(process.execPath, fatNodeArgs('--home', home, ...args), {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('exit', () => resolve(text));
  });
}

const quote = (a: string) => (/\s/.test(a) ? `"${a}"` : a);

function runFat(home: string, args: string[], quiet = false): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, fatNodeArgs('--home', home, ...args), {
      stdio: quiet ? 'ignore' : 'inherit',
      env: { ...process.env, FAT_OPERATOR: process.env.FAT_OPERATOR ?? 'demo-shifter' },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function freeDemoBase(candidates: number[]): Promise<number> {
  const base = await firstFreeBase(candidates);
  if (base === undefined) throw new CliError(`no free base port among ${candidates.join(', ')}: pass --base-port`);
  return base;
}

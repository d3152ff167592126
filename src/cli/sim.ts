import fs from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { parseFault, type Fault } from '../sim/faults.js';
import { simPorts } from '../sim/layout.js';
import { homeDir, CliError } from './common.js';
import { intOption, numberOption } from './parse.js';

export function registerSim(program: Command<[], { home?: string }>): void {
  const sim = program.command('sim').description('the simulated FAT lab (same wire protocols as the real instruments)');

  sim
    .command('start')
    .description('serve the simulated lab on loopback until Ctrl+C')
    .option('--seed <n>', 'the same seed gives the same lab', intOption('--seed'))
    .option('--time-scale <x>', 'lab time runs X times faster than wall time', numberOption('--time-scale'))
    .option('--virtual-time', 'lab time jumps ahead whenever everything waits; a master follows it on the clock port (base + 98)')
    .option('--base-port <p>', 'moves every port (default 5000)', intOption('--base-port'))
    .option(
      '--fault <kind[:target]>',
      'inject a fault (repeatable), e.g. dead-module:5006',
      (v: string, acc: Fault[]) => [...acc, parseFault(v)],
      [] as Fault[],
    )
    .option('--domnet <mode>', '"standin": D-Egg ports open when `fat setup` starts DomNet (default); "auto": open at once', 'standin')
    .action(async (opts, cmd) => simStart(homeDir(cmd), opts));

  sim
    .command('truth')
    .description(
      "the simulator's ground truth: gain law, dark rate law, fibre and timing per PMT; ICM clocks and cables; dark level, noise, hot pixels and LED light per camera",
    )
    .option('--json', 'print JSON')
    .option('--seed <n>', 'seed (default: the running lab, else the station file, else 1)', intOption('--seed'))
    .option('--base-port <p>', 'base port of the running lab', intOption('--base-port'))
    .action(async (opts, cmd) => {
      const { seed, basePort } = await simIdentity(homeDir(cmd), opts.seed, opts.basePort);
      const { buildLabTruth, truthJson } = await import('../sim/physics.js');
      let truth: unknown;
      if (opts.seed === undefined) truth = await fetchJson(`http://127.0.0.1:${simPorts(basePort).control}/truth`);
      truth ??= truthJson(buildLabTruth(seed, simPorts(basePort)));
      if (opts.json) {
        process.stdout.write(JSON.stringify(truth, null, 2) + '\n');
        return;
      }
      process.stdout.write(formatTruth(truth) + '\n');
    });

  sim
    .command('domnet')
    .description('stand-in for the `domnet` program, run by `fat setup` against the simulated lab')
    .argument('[args...]', '<tty> -c <domnet.ini> -p <base_port> -n <n_devices>')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      // exit at once: nothing else in this process may keep a stopped DomNet alive
      const { runStandinDomnet } = await import('../sim/domnet/standin.js');
      process.exit(await runStandinDomnet(args));
    });
}

async function simIdentity(dir: string, seed?: number, basePort?: number): Promise<{ seed: number; basePort: number }> {
  const { loadStation } = await import('../lab/station.js');
  let st: ReturnType<typeof loadStation> | undefined;
  try {
    st = fs.existsSync(`${dir}/station.toml`) ? loadStation(`${dir}/station.toml`) : undefined;
  } catch {
    st = undefined;
  }
  return { seed: seed ?? st?.sim?.seed ?? 1, basePort: basePort ?? st?.sim?.base_port ?? 5000 };
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok ? await r.json() : undefined;
  } catch {
    return undefined;
  }
}

interface TruthView {
  seed: number;
  modules: Array<{
    port: number;
    deggSerial: string;
    pmts: Array<{
      name: string;
      A: number;
      k: number;
      hvAt1e7Volts: number;
      darkRate: { rateAt: Record<string, number> };
      fibreTransmission: number;
      ttsSigmaNs: number;
      timing?: { offsetToTabletopNs: number };
    }>;
    cameras: Array<{
      number: number;
      id: string;
      darkRateAdu: number;
      readNoiseAdu: number;
      hotPixels: unknown[];
      patternAduPerMs: number;
    }>;
  }>;
}

function formatTruth(truth: unknown): string {
  const t = truth as TruthView;
  const rows = t.modules.flatMap((m) =>
    m.pmts.map(
      (p) =>
        `${String(m.port).padEnd(6)}${m.deggSerial.padEnd(16)}${p.name.padEnd(10)}${p.A.toExponential(2).padStart(10)}${p.k.toFixed(2).padStart(6)}${p.hvAt1e7Volts.toFixed(0).padStart(7)}` +
        `${p.darkRate.rateAt['-40'].toFixed(0).padStart(8)}${p.darkRate.rateAt['-20'].toFixed(0).padStart(8)}${p.darkRate.rateAt['20'].toFixed(0).padStart(8)}${p.fibreTransmission.toFixed(2).padStart(7)}` +
        `${(p.timing?.offsetToTabletopNs ?? NaN).toFixed(2).padStart(8)}${p.ttsSigmaNs.toFixed(2).padStart(6)}`,
    ),
  );
  const cameras = t.modules.flatMap((m) =>
    m.cameras.map(
      (c) =>
        `${String(m.port).padEnd(6)}${m.deggSerial.padEnd(16)}${String(c.number).padEnd(8)}${c.id.padEnd(6)}${c.darkRateAdu.toFixed(1).padStart(10)}` +
        `${c.readNoiseAdu.toFixed(2).padStart(8)}${String(c.hotPixels.length).padStart(5)}${c.patternAduPerMs.toFixed(2).padStart(9)}`,
    ),
  );
  return [
    `Simulated lab truth (seed ${t.seed}); gain = A·V^k, dark rate at 0.25 PE in Hz, offset to the tabletop's sync and TTS in ns`,
    `port  D-Egg           PMT                A     k  V@1e7  DR-40°C DR-20°C  DR20°C  fibre  offset   TTS`,
    ...rows,
    '',
    'Cameras: dark rate = mean 12-bit pixel value at gain 0, 3700 ms; read noise in ADU; LED light in ADU/ms (all laws: --json)',
    `port  D-Egg           camera  id    dark rate   noise  hot  LED/ms`,
    ...cameras,
  ].join('\n');
}

interface SimStartOptions {
  seed?: number;
  timeScale?: number;
  virtualTime?: boolean;
  basePort?: number;
  fault: Fault[];
  domnet: string;
}

async function simStart(dir: string, opts: SimStartOptions): Promise<void> {
  if (opts.domnet !== 'standin' && opts.domnet !== 'auto') throw new CliError(`--domnet must be "standin" or "auto", not "${opts.domnet}"`);
  const { ensureHome } = await import('../station/workspace.js');
  const { registryToml } = await import('../station/registry.js');
  const { startSimLab } = await import('../sim/lab.js');
  const { simRegistry } = await import('../fat/sim-registry.js');
  const stationFile = `${dir}/station.toml`;
  const fresh = !fs.existsSync(stationFile);
  const seed = opts.seed ?? 1;
  const basePort = opts.basePort ?? 5000;
  const timeScale = opts.timeScale ?? 1;
  const virtualTime = opts.virtualTime === true;
  if (virtualTime && opts.timeScale !== undefined)
    throw new CliError('--virtual-time and --time-scale exclude each other: virtual time has no fixed scale');
  const warnings = await simStationWarnings(stationFile, fresh, seed, basePort, virtualTime ? undefined : timeScale);
  // the lab first: one that cannot start leaves no station file pointing at it
  const lab = await startSimLab({ seed, basePort, timeScale, virtualTime, faults: opts.fault, domnet: opts.domnet });
  const home = ensureHome(dir, { seed, basePort, timeScale, virtualTime });
  if (!fs.existsSync(home.registryFile)) fs.writeFileSync(home.registryFile, registryToml(simRegistry(lab.truth)));
  const p = lab.ports;
  const lines = [
    `Simulated FAT lab, seed ${seed}, ${virtualTime ? `virtual lab time (its clock on ${p.clock})` : `lab time x${timeScale}`}, on 127.0.0.1 (home ${home.dir})`,
    ...[0, 1, 2, 3].map(
      (wp) =>
        `  DomNet ${wp}: D-Eggs on ${p.mainboard(wp, 0)}-${p.mainboard(wp, 3)}, ICM ${p.icm(wp)}${opts.domnet === 'auto' ? '' : ' (opened by `fat setup`)'}`,
    ),
    `  tabletop board ${p.tabletop}, its ICM ${p.tabletopIcm}; function generator SCPI ${p.scpi}, Prologix ${p.prologix}`,
    `  filter wheels ${p.filterWheel(0)}, ${p.filterWheel(1)}; thermometer ${p.thermometer}; humidity ${p.humidity(0)}, ${p.humidity(1)}; freezer ${p.freezer}`,
    `  control http://127.0.0.1:${p.control}/ (truth, faults, state)`,
    ...(opts.fault.length ? [`  faults: ${opts.fault.map((f) => (f.target ? `${f.kind}:${f.target}` : f.kind)).join(', ')}`] : []),
    ...warnings,
    'Press Ctrl+C to stop.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await lab.close();
  process.stdout.write('simulated lab stopped\n');
}

/** Where an existing station file describes another lab than the one starting. */
async function simStationWarnings(
  stationFile: string,
  fresh: boolean,
  seed: number,
  basePort: number,
  /** undefined: virtual time */
  timeScale: number | undefined,
): Promise<string[]> {
  const { loadStation } = await import('../lab/station.js');
  const warnings: string[] = [];
  if (!fresh) {
    const station = loadStation(stationFile);
    if (station.sim && (station.sim.base_port !== basePort || station.sim.seed !== seed)) {
      warnings.push(
        `note: ${stationFile} describes the lab with seed ${station.sim.seed} on base port ${station.sim.base_port}; this lab runs with seed ${seed} on ${basePort}`,
      );
    }
    const clockPort = `tcp://127.0.0.1:${basePort + 98}`;
    if (timeScale === undefined && station.clock.lab_clock !== clockPort) {
      warnings.push(`note: ${stationFile} has no clock.lab_clock = "${clockPort}": a master there keeps its own time, not this lab's`);
    } else if (timeScale !== undefined && station.clock.lab_clock) {
      warnings.push(`note: ${stationFile} follows a virtual lab clock (clock.lab_clock); this lab runs at x${timeScale}: remove lab_clock`);
    } else if (timeScale !== undefined && station.clock.time_scale !== timeScale) {
      warnings.push(
        `note: ${stationFile} has clock.time_scale = ${station.clock.time_scale}; this lab runs at ${timeScale}: set them equal so waits agree`,
      );
    }
  }
  return warnings;
}

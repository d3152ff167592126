import { stringify } from 'smol-toml';
import { fatNodeArgs } from '../util/node-heap.js';

/**
 * The station file of icefat's simulated lab. The offsets match the simulator's wiring
 * (src/sim/layout.ts) the way a real station file matches the cabling of a real lab.
 */

export function simStationToml(opts: { seed: number; basePort: number; timeScale: number; virtualTime?: boolean; name?: string }): string {
  const b = opts.basePort;
  const host = '127.0.0.1';
  const control = `${host}:${b + 99}`;
  const station = {
    name: opts.name ?? 'sim-station',
    daq_host: host,
    clock: opts.virtualTime
      ? { time_scale: 1, lab_clock: `tcp://${host}:${b + 98}` }
      : { time_scale: opts.timeScale, origin: new Date().toISOString() },
    store: { url: 'sqlite:fat.db' },
    domnet: {
      program: [process.execPath, ...fatNodeArgs('sim', 'domnet')],
      config: 'domnet.ini',
      devices_per_wire_pair: 4,
      start_timeout_s: 15,
      instances: [0, 1, 2, 3].map((wp) => ({ tty: `sim://${control}/wp${wp}`, base_port: b + 4 * wp })),
    },
    expected: { fpga_version: 272, software_version: 62 },
    tabletop: { address: `tcp://${host}:${b + 16}`, icm_address: `tcp://${host}:${b + 1016}`, icm_device: 0 },
    function_generator: { address: `prologix://${host}:${b + 1234}/10` },
    filter_wheels: [
      { address: `tcp://${host}:${b + 30}`, strengths: [1.0, 0.32, 0.25, 0.1, 0.05, 0.01] },
      { address: `tcp://${host}:${b + 31}`, strengths: [1.0, 0.5, 0.32, 0.1, 0.05, 0.01] },
    ],
    thermometer: {
      address: `tcp://${host}:${b + 32}`,
      channels: { '1': 'D-Egg surface', '2': 'box surface outside', '3': 'box surface inside', '4': 'freezer air' },
    },
    humidity: [
      { address: `tcp://${host}:${b + 33}`, name: 'H1 (door)' },
      { address: `tcp://${host}:${b + 34}`, name: 'H2 (back)' },
    ],
    freezer: { mode: 'controller', address: `tcp://${host}:${b + 40}` },
    laser: { frequency_hz: 100 },
    sim: { seed: opts.seed, base_port: b },
  };
  return (
    `# icefat station file: every instrument of this FAT station by address.\n` +
    `# This one points at icefat's simulated lab (\`fat sim start --seed ${opts.seed} --base-port ${b}\`).\n` +
    `# For a real lab, change the addresses, the domnet program and its ttys (see README).\n\n` +
    stringify(station) +
    '\n'
  );
}

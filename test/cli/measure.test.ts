import { Command } from '@commander-js/extra-typings';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerMeasure } from '../../src/cli/measure.js';
import { catalogue, kindsOf } from '../../src/tasks/catalogue.js';

/**
 * `fat measure <kind>` makes its options from the kind's parameters (src/cli/kind-options.ts): each
 * flag of the README and the tests reaches the kind as the parameter it always did. The run, the
 * workspace and the measurement itself are stubbed; the kinds' parameter schemas are the real ones.
 */
vi.mock('../../src/cli/common.js', async (original) => ({
  ...(await original<typeof import('../../src/cli/common.js')>()),
  withWorkspace: (_cmd: unknown, fn: (ws: unknown) => Promise<unknown>) => fn({}),
}));
vi.mock('../../src/station/runs.js', () => ({
  latestRun: async () => ({ id: 1, run_number: 7, run_file: 'run_00007.json' }),
  findRun: async () => ({ id: 1, run_number: 7, run_file: 'run_00007.json' }),
  activeRunModules: async () => [{ port: 5000, serial: 'DEgg2021-1-001', wirePair: 1, jsonFile: 'x.json' }],
}));
vi.mock('../../src/engine/standalone.js', () => ({ standaloneContext: () => ({ flush: async () => {} }) }));

function program(): { program: Command; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const p = new Command().name('fat').option('--home <dir>').exitOverride();
  p.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerMeasure(p);
  for (const c of p.commands)
    for (const s of c.commands) s.exitOverride().configureOutput({ writeOut: (x) => (out += x), writeErr: (x) => (err += x) });
  return { program: p, out: () => out, err: () => err };
}

/** the parameters `fat measure ARGS` hands to its kind (the one kind that runs) */
async function paramsOf(args: string[]): Promise<Record<string, unknown>> {
  const runs = kindsOf(catalogue()).map((k) => vi.spyOn(k, 'run').mockResolvedValue({ failures: [], modules: [], passed: 1, failed: 0 }));
  vi.spyOn(process.stdout, 'write').mockReturnValue(true);
  await program().program.parseAsync(['measure', ...args, '--json'], { from: 'user' });
  const calls = runs.flatMap((r) => r.mock.calls);
  expect(calls).toHaveLength(1);
  return calls[0][1];
}

afterEach(() => vi.restoreAllMocks());

describe('fat measure: the options of each sub-command come from its kind', () => {
  it.each([
    [
      ['gain', '-j', '4', '--events', '1500', '--comment', 'scan'],
      { n_jobs: 4, n_events: 1500, comment: 'scan', resume: false, configuration: 'waveform', test: false },
    ],
    [
      ['gain', '-r', '--configuration', 'chargestamp', '--test'],
      { n_jobs: 4, n_events: 10000, comment: '', resume: true, configuration: 'chargestamp', test: true },
    ],
    [
      ['scaler', '-j', '2', '--runs', '30'],
      { n_jobs: 2, n_runs: 30, comment: 'FAT', use_fir: false, no_hv: false, use_alt_thresholds: false },
    ],
    [['scaler', '--fir', '--no-hv', '--alt-thresholds'], { n_runs: 5000, use_fir: true, no_hv: true, use_alt_thresholds: true }],
    [['linearity', '--events', '300', '--comment', 'lin'], { n_events: 300, comment: 'lin' }],
    [['timing', '--events', '4000', '--blocks', '5', '--strength', '0.5'], { n_events: 4000, n_blocks: 5, f_strength: 0.5 }],
    [['timing'], { n_events: 500, n_blocks: 5, f_strength: 1, comment: 'spe level tts' }],
    [['waveform', '--mode', 'droop', '--bursts', '100', '--events', '100'], { mode: 'droop', bursts: 100, n_events: 100, strength0: 0.05 }],
    [['waveform', '--strength0', '0.32', '--strength1', '0.5'], { mode: 'double', strength0: 0.32, strength1: 0.5 }],
    [['baseline', '--dac', '25000'], { dac_value: 25000, comment: '' }],
    [['flasher', '--events', '40', '--comment', 'leds'], { n_events: 40, comment: 'leds' }],
    [['stf', '-j', '3', '--comment', 'self test'], { n_jobs: 3, comment: 'self test' }],
    [['dt'], { use_fir: true, n_events: 10000 }],
    [['dt', '--adc', '--events', '300'], { use_fir: false, n_events: 300 }],
    [['hv', '--span', '10', '--step', '0.5', '--reads', '4'], { span_volts: 10, step_volts: 0.5, n_reads: 4 }],
    [['camera', '--images', '2', '--test'], { n_images: 2, test: true, comment: 'FAT' }],
    [['pattern'], { comment: 'FAT test', n_jobs: 4 }],
  ])('fat measure %j', async (args, expected) => {
    expect(await paramsOf(args)).toMatchObject(expected);
  });

  it('a bad value is refused as the option is read, naming the flag and what the kind accepts', async () => {
    for (const [args, message] of [
      [['gain', '--events', 'abc'], `option '--events <n>' argument 'abc' is invalid. expected a whole number, got "abc"`],
      [['gain', '--events', '50'], `option '--events <n>' argument '50' is invalid. expected a whole number 100..1000000, got 50`],
      [['scaler', '-j', '20'], `option '-j, --jobs <n>' argument '20' is invalid. expected a whole number 1..16, got 20`],
      [
        ['waveform', '--mode', 'triple'],
        `option '--mode <mode>' argument 'triple' is invalid. expected one of double, droop, got "triple"`,
      ],
    ]) {
      const p = program();
      await expect(p.program.parseAsync(['measure', ...args], { from: 'user' })).rejects.toThrow();
      expect(p.err()).toContain(message);
    }
  });

  it('help lists every option with its description and default', async () => {
    const p = program();
    await expect(p.program.parseAsync(['measure', 'gain', '--help'], { from: 'user' })).rejects.toThrow();
    for (const line of [
      /-j, --jobs <n> +wire pairs measured in parallel \(default: 4\)/,
      /--events <n> +waveforms per HV point \(default: 10000\)/,
      /-r, --resume +continue the latest gain measurement/,
      /--configuration <kind> +SPE charges from waveforms, or from the FPGA charge\s+stamps \(choices: "waveform", "chargestamp", default:\s+"waveform"\)/,
      /--json +print JSON/,
      // what the kind records, from its declared quantities and the goalposts file
      /Records \(judged against .*goalposts\.toml, version /,
      /gain\.hv1e7 +HV at gain 1e7 \[V\]: pass 1000 to 2000/,
      /gain\.fit_exponent +exponent k of G = A\*V\^k: recorded, not judged/,
    ])
      expect(p.out()).toMatch(line);
    const all = program();
    await expect(all.program.parseAsync(['measure', '--help'], { from: 'user' })).rejects.toThrow();
    for (const name of ['gain', 'scaler', 'linearity', 'timing', 'waveform', 'baseline', 'flasher', 'stf', 'dt', 'hv', 'camera', 'pattern'])
      expect(all.out()).toContain(`${name} [options] [run]`);
  });
});

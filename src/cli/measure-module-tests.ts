import type { Command } from '@commander-js/extra-typings';
import type { StfItem } from '../analysis/stf.js';
import { CliError, emit, withWorkspace } from './common.js';
import { checkJobs, failureLines, measureCommand, runMeasurement, throwOnFailures } from './measure-run.js';
import { intOption } from './parse.js';

// loaded when the command runs, so `fat --help` stays light
const measureBaseline = () => import('../tasks/measure-baseline.js').then((m) => m.kind);
const measureFlasher = () => import('../tasks/measure-flasher.js').then((m) => m.kind);
const measureStf = () => import('../tasks/measure-stf.js').then((m) => m.kind);

/** `fat measure baseline | flasher | stf`: the module checks of the FAT, each on its own. */
interface Failure {
  port: number;
  serial: string;
  error: string;
}

interface BaselineSummary {
  folder: string;
  dac: number;
  waveforms: number;
  samples: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    hvVolts: number;
    baselineAdc: number;
    baselineStdAdc: number;
  }>;
  failures: Failure[];
}

interface FlasherSummary {
  folder: string;
  events: number;
  modules: Array<{
    port: number;
    serial: string;
    pmtSerial: string;
    ledsWorking: number;
    darkLevelPe: number;
    gainNote: string;
    leds: Array<{ led: number; mask: number; works: boolean; lightPe: number[]; reason: string }>;
  }>;
  failures: Failure[];
}

interface StfSummary {
  folder: string;
  passed: number;
  failed: number;
  modules: Array<{ port: number; serial: string; passed: boolean; failedItems: string[]; items: StfItem[] }>;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type MeasureCommand = Command<[], {}, { home?: string }>;

export function registerModuleTests(measure: MeasureCommand): void {
  measureCommand(
    measure,
    'baseline',
    'baseline of every PMT: 50 software-triggered waveforms of 1024 samples, HV as it is (the original measure_pmt_baseline.py)',
  )
    .option('--comment <text>', 'comment for the record', '')
    .option('--dac <value>', 'baseline DAC setting', intOption('--dac'), 30000)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measureBaseline, {
          comment: opts.comment,
          n_jobs: opts.jobs,
          dac_value: opts.dac,
        });
        const r = result as BaselineSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Baseline at DAC ${r.dac} (${r.waveforms} waveforms of ${r.samples} samples), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.baselineAdc.toFixed(2)} ± ${x.baselineStdAdc.toFixed(2)} ADC (HV ${x.hvVolts.toFixed(0)} V)`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );

  measureCommand(
    measure,
    'flasher',
    'flasher LEDs: 12 LEDs x 10 bias settings seen by the lower PMT, laser off (the original measure_baseline_flasher)',
  )
    .option('--comment <text>', 'comment for the record', 'FAT test')
    .option('--events <n>', 'flashes per LED and bias setting', intOption('--events'), 500)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(
          ws,
          runArg,
          measureFlasher,
          { comment: opts.comment, n_jobs: opts.jobs, n_events: opts.events },
          (note) => /LED settings$/.test(note),
        );
        const r = result as FlasherSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Flasher LEDs (${r.events} flashes per setting), run ${run.number}, data in ${r.folder}:`,
          ...r.modules.flatMap((x) => [
            `  ${x.ledsWorking === 12 ? '[OK]  ' : '[FAIL]'} port ${x.port} ${x.serial} LowerPmt ${x.pmtSerial}: ${x.ledsWorking}/12 LEDs work (dark ${x.darkLevelPe.toFixed(2)} PE; ${x.gainNote})`,
            ...x.leds
              .filter((l) => !l.works)
              .map((l) => `      LED ${l.led} (mask 0x${l.mask.toString(16).padStart(4, '0')}): ${l.reason}`),
          ]),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
        const bad = r.modules.filter((x) => x.ledsWorking < 12);
        if (bad.length) throw new CliError(`${bad.length} module(s) have LEDs that do not work: ${bad.map((x) => x.serial).join(', ')}`);
      }),
    );

  measureCommand(
    measure,
    'stf',
    "icefat's quick self-test of every module: communication, sensors, supplies, HV, baseline, triggers (in place of the STF DEgg-FAT set)",
    'wire pairs tested in parallel',
  )
    .option('--comment <text>', 'comment for the record', '')
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measureStf, { comment: opts.comment, n_jobs: opts.jobs });
        const r = result as StfSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `STF, run ${run.number}: ${r.passed}/${r.passed + r.failed} modules passed, results in ${r.folder}:`,
          ...r.modules.flatMap((x) => [
            `  ${x.passed ? '[PASS]' : '[FAIL]'} port ${x.port} ${x.serial}${x.passed ? `: ${x.items.filter((i) => i.status === 'pass').length} items passed` : ''}`,
            ...x.items.filter((i) => i.status === 'fail').map((i) => `      ${i.item}: ${i.reading} (limit ${i.limit})`),
          ]),
        ]);
        if (r.failed) throw new CliError(`${r.failed} module(s) failed the STF`);
      }),
    );
}

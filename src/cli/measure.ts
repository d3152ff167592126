import { Option, type Command } from '@commander-js/extra-typings';
import { emit, withWorkspace } from './common.js';
import { checkJobs, failureLines, measureCommand, runMeasurement, throwOnFailures } from './measure-run.js';
import { registerModuleTests } from './measure-module-tests.js';
import { registerMonitoringMeasurements } from './measure-monitoring.js';
import { registerLaserMeasurements } from './measure-laser.js';
import { registerCameraMeasurements } from './measure-camera.js';
import { intOption } from './parse.js';

// loaded when the command runs, so `fat --help` stays light
const measureGain = () => import('../tasks/measure-gain.js').then((m) => m.kind);
const measureScaler = () => import('../tasks/measure-scaler.js').then((m) => m.kind);

interface ScalerSummary {
  folder: string;
  trigger: string;
  nRuns: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    darkRateHz: number;
    stdHz: number;
    temperatureC: number;
    thresholdAdc: number;
    aboveWarning: boolean;
    note: string;
    alt: Array<{ pe: number; shiftAdc: number; thresholdAdc: number; darkRateHz: number }>;
  }>;
  failures: Array<{ port: number; serial: string; error: string }>;
}

interface GainSummary {
  folder: string;
  events: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    hv1e7GainVolts: number;
    hv1e7GainErrorVolts: number;
    gainFitNorm: number;
    gainFitExp: number;
    spePeakHeightVolts: number;
    reason: string;
    points: Array<{ hvVolts: number; gain: number }>;
  }>;
  failures: Array<{ port: number; serial: string; error: string }>;
}

/** `fat measure <kind>`: one measurement of issue #4 on its own, outside a schedule, with the same records. */
export function registerMeasure(program: Command<[], { home?: string }>): void {
  const measure = program.command('measure').description('run one measurement on the modules of a run, outside a schedule');

  measureCommand(measure, 'gain', 'online HV scan of every PMT to gain 1e7 from SPE charge fits (the original measure_gain_online.py)')
    .option('--comment <text>', 'comment for the record', '')
    .option('--events <n>', 'waveforms per HV point', intOption('--events'), 10000)
    .option('-r, --resume', 'continue the latest gain measurement: skip modules already measured in its folder')
    .addOption(
      new Option('--configuration <kind>', 'SPE charges from waveforms, or from the FPGA charge stamps')
        .choices(['waveform', 'chargestamp'] as const)
        .default('waveform' as const),
    )
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measureGain, {
          comment: opts.comment,
          n_jobs: opts.jobs,
          n_events: opts.events,
          resume: Boolean(opts.resume),
          configuration: opts.configuration,
        });
        const r = result as GainSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Gain scan (${r.events} waveforms per point), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: V(1e7) = ${x.hv1e7GainVolts.toFixed(1)} ± ${x.hv1e7GainErrorVolts.toFixed(1)} V, G = ${x.gainFitNorm.toExponential(3)}·V^${x.gainFitExp.toFixed(3)}, SPE peak ${(x.spePeakHeightVolts * 1e3).toFixed(2)} mV (${x.points.length} points, ${x.reason})`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures, 'PMT scan(s) failed');
      }),
    );

  measureCommand(measure, 'scaler', 'dark rate at 0.25 PE from 100 ms scaler windows, laser off (the original measure_scaler.py)')
    .option('--comment <text>', 'comment for the record', 'FAT')
    .option('--runs <n>', 'scaler windows of 100 ms per PMT', intOption('--runs'), 5000)
    .option('--fir', 'use the FIR trigger instead of the ADC threshold trigger')
    .option('--no-hv', 'leave the HV as it is')
    .option('--alt-thresholds', "also the original's alternative thresholds: 0.25 PE -1 and +1 ADC, 0.3 PE")
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(
          ws,
          runArg,
          measureScaler,
          {
            comment: opts.comment,
            n_jobs: opts.jobs,
            n_runs: opts.runs,
            use_fir: Boolean(opts.fir),
            no_hv: opts.hv === false,
            use_alt_thresholds: Boolean(opts.altThresholds),
          },
          (note) => /scaler windows$/.test(note),
        );
        const r = result as ScalerSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Dark rate (${r.trigger.toUpperCase()} trigger, ${r.nRuns} windows of 100 ms), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  ${x.aboveWarning ? '[HIGH]' : '[OK]  '} port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.darkRateHz.toFixed(0)} ± ${x.stdHz.toFixed(0)} Hz at ${x.temperatureC.toFixed(1)} °C (threshold ${x.thresholdAdc} ADC; ${x.note})` +
              x.alt.map((a) => `; ${a.darkRateHz.toFixed(0)} Hz at ${a.thresholdAdc} ADC`).join(''),
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );
  registerLaserMeasurements(measure);
  registerModuleTests(measure);
  registerMonitoringMeasurements(measure);
  registerCameraMeasurements(measure);
}

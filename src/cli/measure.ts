import type { Command } from '@commander-js/extra-typings';
import { measureCommand, throwOnFailures, type ModuleFailure, type PmtRow } from './measure-run.js';
import { registerModuleTests } from './measure-module-tests.js';
import { registerMonitoringMeasurements } from './measure-monitoring.js';
import { registerLaserMeasurements } from './measure-laser.js';
import { registerCameraMeasurements } from './measure-camera.js';

interface ScalerSummary {
  folder: string;
  trigger: string;
  nRuns: number;
  pmts: Array<
    PmtRow & {
      darkRateHz: number;
      stdHz: number;
      temperatureC: number;
      thresholdAdc: number;
      aboveWarning: boolean;
      note: string;
      alt: Array<{ pe: number; shiftAdc: number; thresholdAdc: number; darkRateHz: number }>;
    }
  >;
  failures: ModuleFailure[];
}

interface GainSummary {
  folder: string;
  events: number;
  pmts: Array<
    PmtRow & {
      hv1e7GainVolts: number;
      hv1e7GainErrorVolts: number;
      gainFitNorm: number;
      gainFitExp: number;
      spePeakHeightVolts: number;
      reason: string;
      points: Array<{ hvVolts: number; gain: number }>;
    }
  >;
  failures: ModuleFailure[];
}

/** `fat measure <kind>`: one measurement of issue #4 on its own, outside a schedule, with the same records. */
export function registerMeasure(program: Command<[], { home?: string }>): void {
  const measure = program.command('measure').description('run one measurement on the modules of a run, outside a schedule');
  // a sub-command's options come with its kind, loaded only when it runs: the list says they are there
  measure.configureHelp({ ...measure.configureHelp(), subcommandTerm: (c) => `${c.name()} ${c.usage()}` });

  measureCommand(measure, {
    name: 'gain',
    description: 'online HV scan of every PMT to gain 1e7 from SPE charge fits (the original measure_gain_online.py)',
    kind: () => import('../tasks/measure-gain.js').then((m) => m.kind),
    options: ['comment', 'n_events', 'resume', 'configuration'],
    lines: (r: GainSummary, run) => [
      `Gain scan (${r.events} waveforms per point), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: V(1e7) = ${x.hv1e7GainVolts.toFixed(1)} ± ${x.hv1e7GainErrorVolts.toFixed(1)} V, G = ${x.gainFitNorm.toExponential(3)}·V^${x.gainFitExp.toFixed(3)}, SPE peak ${(x.spePeakHeightVolts * 1e3).toFixed(2)} mV (${x.points.length} points, ${x.reason})`,
      ),
    ],
    check: (r) => throwOnFailures(r.failures, 'PMT scan(s) failed'),
  });

  measureCommand(measure, {
    name: 'scaler',
    description: 'dark rate at 0.25 PE from 100 ms scaler windows, laser off (the original measure_scaler.py)',
    kind: () => import('../tasks/measure-scaler.js').then((m) => m.kind),
    options: ['comment', 'n_runs', 'use_fir', 'no_hv', 'use_alt_thresholds'],
    quiet: /scaler windows$/,
    lines: (r: ScalerSummary, run) => [
      `Dark rate (${r.trigger.toUpperCase()} trigger, ${r.nRuns} windows of 100 ms), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  ${x.aboveWarning ? '[HIGH]' : '[OK]  '} port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.darkRateHz.toFixed(0)} ± ${x.stdHz.toFixed(0)} Hz at ${x.temperatureC.toFixed(1)} °C (threshold ${x.thresholdAdc} ADC; ${x.note})` +
          x.alt.map((a) => `; ${a.darkRateHz.toFixed(0)} Hz at ${a.thresholdAdc} ADC`).join(''),
      ),
    ],
  });
  registerLaserMeasurements(measure);
  registerModuleTests(measure);
  registerMonitoringMeasurements(measure);
  registerCameraMeasurements(measure);
}

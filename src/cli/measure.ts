import type { Command } from '@commander-js/extra-typings';
import { measureCommand, throwOnFailures } from './measure-run.js';
import { registerModuleTests } from './measure-module-tests.js';
import { registerMonitoringMeasurements } from './measure-monitoring.js';
import { registerLaserMeasurements } from './measure-laser.js';
import { registerCameraMeasurements } from './measure-camera.js';

/** `fat measure <kind>`: one measurement of issue #4 on its own, outside a schedule, with the same records. */
export function registerMeasure(program: Command<[], { home?: string }>): void {
  const measure = program.command('measure').description('run one measurement on the modules of a run, outside a schedule');
  // a sub-command's options come with its kind, loaded only when it runs: the list says they are there
  measure.configureHelp({ ...measure.configureHelp(), subcommandTerm: (c) => `${c.name()} ${c.usage()}` });

  measureCommand(measure, {
    name: 'gain',
    description: 'online HV scan of every PMT to gain 1e7 from SPE charge fits (the original measure_gain_online.py)',
    kind: () => import('../tasks/measure-gain.js').then((m) => m.kind),
    options: ['comment', 'n_events', 'resume', 'configuration', 'test'],
    lines: (r, run) =>
      r.mode === 'check'
        ? [
            `Gain check (${r.events} waveforms per check), run ${run}, data in ${r.folder}:`,
            ...r.pmts.map(
              (x) =>
                `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: G = ${x.gains.map((g) => g.toExponential(3)).join(', ')} at ${x.hvVolts} V`,
            ),
          ]
        : [
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
    lines: (r, run) => [
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

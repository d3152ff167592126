import type { Command } from '@commander-js/extra-typings';
import { emit, withWorkspace } from './common.js';
import { checkJobs, failureLines, measureCommand, runMeasurement, throwOnFailures } from './measure-run.js';
import { intOption } from './parse.js';

// loaded when the command runs, so `fat --help` stays light
const measureDt = () => import('../tasks/measure-dt.js').then((m) => m.kind);
const measureHv = () => import('../tasks/measure-hv.js').then((m) => m.kind);

/** `fat measure dt | hv`: the Δt run and the HV sweep, each on its own. */
interface Failure {
  port: number;
  serial: string;
  error: string;
}

interface DtSummary {
  folder: string;
  trigger: string;
  events: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    rateHz: number;
    correlatedFraction: number;
    temperatureC: number;
  }>;
  failures: Failure[];
}

interface HvSummary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    setPointV: number;
    worstStdV: number;
    maxDeviationV: number;
  }>;
  failures: Failure[];
}

export function registerMonitoringMeasurements(measure: Command<[], { home?: string }>): void {
  measureCommand(measure, 'dt', 'Δt between dark triggers: rate and correlated noise from dark charge stamps (the original measure_dt.py)')
    .option('--comment <text>', 'comment for the record', '')
    .option('--events <n>', 'dark triggers per PMT', intOption('--events'), 10000)
    .option('--adc', 'use the ADC threshold trigger instead of the FIR trigger')
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measureDt, {
          comment: opts.comment,
          n_jobs: opts.jobs,
          n_events: opts.events,
          use_fir: !opts.adc,
        });
        const r = result as DtSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Δt (${r.trigger.toUpperCase()} trigger, ${r.events} triggers per PMT), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.rateHz.toFixed(0)} Hz at ${x.temperatureC.toFixed(1)} °C, ${(100 * x.correlatedFraction).toFixed(2)}% correlated within 10 µs`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );

  measureCommand(
    measure,
    'hv',
    'HV sweep of every PMT across HV(1e7) ± span, readback, current and temperature per step (the original hv_check.py)',
  )
    .option('--span <volts>', 'sweep HV(1e7) ± this', intOption('--span'), 120)
    .option('--step <volts>', 'step of the sweep', intOption('--step'), 1)
    .option('--reads <n>', 'readbacks per step', intOption('--reads'), 20)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measureHv, {
          n_jobs: opts.jobs,
          span_volts: opts.span,
          step_volts: opts.step,
          n_reads: opts.reads,
        });
        const r = result as HvSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `HV sweep, run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: around ${x.setPointV} V, worst readback std ${x.worstStdV.toFixed(2)} V, worst offset ${x.maxDeviationV.toFixed(2)} V`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures, 'module(s) could not be swept');
      }),
    );
}

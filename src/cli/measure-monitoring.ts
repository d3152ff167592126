import { measureCommand, type MeasureCommand, throwOnFailures } from './measure-run.js';

/** `fat measure dt | hv`: the Δt run and the HV sweep, each on its own. */
export function registerMonitoringMeasurements(measure: MeasureCommand): void {
  measureCommand(measure, {
    name: 'dt',
    description: 'Δt between dark triggers: rate and correlated noise from dark charge stamps (the original measure_dt.py)',
    kind: () => import('../tasks/measure-dt.js').then((m) => m.kind),
    options: [
      'comment',
      'n_events',
      { param: 'use_fir', flags: '--adc', invert: true, description: 'use the ADC threshold trigger instead of the FIR trigger' },
    ],
    lines: (r, run) => [
      `Δt (${r.trigger.toUpperCase()} trigger, ${r.events} triggers per PMT), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.rateHz.toFixed(0)} Hz at ${x.temperatureC.toFixed(1)} °C, ${(100 * x.correlatedFraction).toFixed(2)}% correlated within 10 µs`,
      ),
    ],
  });

  measureCommand(measure, {
    name: 'hv',
    description: 'HV sweep of every PMT across HV(1e7) ± span, readback, current and temperature per step (the original hv_check.py)',
    kind: () => import('../tasks/measure-hv.js').then((m) => m.kind),
    options: ['span_volts', 'step_volts', 'n_reads'],
    lines: (r, run) => [
      `HV sweep, run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: around ${x.setPointV} V, worst readback std ${x.worstStdV.toFixed(2)} V, worst offset ${x.maxDeviationV.toFixed(2)} V`,
      ),
    ],
    check: (r) => throwOnFailures(r.failures, 'module(s) could not be swept'),
  });
}

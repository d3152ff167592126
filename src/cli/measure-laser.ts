import { measureCommand, type MeasureCommand } from './measure-run.js';

const ns = (x: number, digits = 2) => (Number.isFinite(x) ? `${x.toFixed(digits)} ns` : 'not measured');

/** `fat measure linearity | waveform | timing`: the laser measurements, each on its own. */
export function registerLaserMeasurements(measure: MeasureCommand): void {
  measureCommand(measure, {
    name: 'linearity',
    description:
      'PMT linearity: laser at 100 Hz through the 10 filter settings, charge ratio at 200 PE (the original measure_linearity.py)',
    kind: () => import('../tasks/measure-linearity.js').then((m) => m.kind),
    options: ['comment', 'n_events'],
    quiet: / PE per shot /,
    lines: (r, run) => [
      `Linearity (${r.events} laser shots per setting), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: charge ratio at 200 PE ${Number.isFinite(x.chargeRatio200Pe) ? x.chargeRatio200Pe.toFixed(3) : 'not reached'}; ` +
          `observed/expected PE ${x.points.map((p) => `${p.observedPe.toFixed(0)}/${p.expectedPe.toFixed(0)}`).join(' ')}`,
      ),
    ],
  });

  measureCommand(measure, {
    name: 'timing',
    description:
      'PMT offsets to the tabletop board and timing resolution: laser at 500 Hz, charge stamps in hub time through RapCal (the original run_timing)',
    kind: () => import('../tasks/run-timing.js').then((m) => m.kind),
    options: ['comment', 'n_events', 'n_blocks', 'f_strength'],
    lines: (r, run) => [
      `Timing against the tabletop board (${r.blocks} blocks of ${r.events} stamps per D-Egg), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: offset ${ns(x.offsetNs)} ± ${ns(x.offsetErrorNs)}, SPE time resolution ${ns(x.speTimeResolutionNs)}, ` +
          `PMT timing resolution ${ns(x.pmtTimingResolutionNs)} (${x.events} of ${x.stamps} stamps on laser shots; cable ${ns(x.cableDelayNs, 1)}, clock ${x.clockDriftPpm >= 0 ? '+' : ''}${x.clockDriftPpm.toFixed(3)} ppm)`,
      ),
    ],
  });

  measureCommand(measure, {
    name: 'waveform',
    description: 'double pulse (or droop) of laser bursts in 1024-sample waveforms (the original measure_pulsed_waveform.py)',
    kind: () => import('../tasks/measure-pulsed.js').then((m) => m.kind),
    options: ['comment', 'mode', 'strength0', 'strength1', 'bursts', 'n_events'],
    lines: (r, run) => [
      `${r.mode === 'double' ? 'Double pulse' : 'Burst droop'} at strength ${r.strength} (${r.events} laser shots per PMT), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: separation ${x.separationNs.toFixed(2)} ± ${x.separationStdNs.toFixed(2)} ns, peak ratio ${x.peakRatio.toFixed(3)}, peak/valley ${x.peakToValley.toFixed(2)}` +
          (x.droop !== null ? `, droop ${(100 * x.droop).toFixed(1)}%` : '') +
          ` (${x.fitted}/${x.laserEvents} waveforms)`,
      ),
    ],
  });
}

import type { Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';
import { checkJobs, failureLines, measureCommand, runMeasurement, throwOnFailures } from './measure-run.js';
import { intOption } from './parse.js';

// loaded when the command runs, so `fat --help` stays light
const measureLinearity = () => import('../tasks/measure-linearity.js').then((m) => m.kind);
const measurePulsed = () => import('../tasks/measure-pulsed.js').then((m) => m.kind);
const runTiming = () => import('../tasks/run-timing.js').then((m) => m.kind);

/** `fat measure linearity | waveform | timing`: the laser measurements, each on its own. */
interface Failure {
  port: number;
  serial: string;
  error: string;
}

interface LinearitySummary {
  folder: string;
  events: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    chargeRatio200Pe: number;
    pePerTransmission: number;
    points: Array<{ transmission: number; observedPe: number; expectedPe: number; ratio: number }>;
  }>;
  failures: Failure[];
}

interface PulsedSummary {
  folder: string;
  mode: string;
  strength: number;
  events: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    laserEvents: number;
    fitted: number;
    separationNs: number;
    separationStdNs: number;
    peakRatio: number;
    peakToValley: number;
    droop: number | null;
  }>;
  failures: Failure[];
}

interface TimingSummary {
  folder: string;
  blocks: number;
  events: number;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: string;
    pmtSerial: string;
    offsetNs: number;
    offsetErrorNs: number;
    speTimeResolutionNs: number;
    pmtTimingResolutionNs: number;
    events: number;
    stamps: number;
    cableDelayNs: number;
    clockDriftPpm: number;
  }>;
  failures: Failure[];
}

const ns = (x: number, digits = 2) => (Number.isFinite(x) ? `${x.toFixed(digits)} ns` : 'not measured');

const numberOption = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new CliError(`${name} must be a number, got "${v}"`);
  return x;
};

export function registerLaserMeasurements(measure: Command<[], { home?: string }>): void {
  measureCommand(
    measure,
    'linearity',
    'PMT linearity: laser at 100 Hz through the 10 filter settings, charge ratio at 200 PE (the original measure_linearity.py)',
  )
    .option('--comment <text>', 'comment for the record', '10 fw settings, 100 Hz')
    .option('--events <n>', 'laser shots per filter setting and PMT', intOption('--events'), 5000)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(
          ws,
          runArg,
          measureLinearity,
          { comment: opts.comment, n_jobs: opts.jobs, n_events: opts.events },
          (note) => / PE per shot /.test(note),
        );
        const r = result as LinearitySummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Linearity (${r.events} laser shots per setting), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: charge ratio at 200 PE ${Number.isFinite(x.chargeRatio200Pe) ? x.chargeRatio200Pe.toFixed(3) : 'not reached'}; ` +
              `observed/expected PE ${x.points.map((p) => `${p.observedPe.toFixed(0)}/${p.expectedPe.toFixed(0)}`).join(' ')}`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );

  measureCommand(
    measure,
    'timing',
    'PMT offsets to the tabletop board and timing resolution: laser at 500 Hz, charge stamps in hub time through RapCal (the original run_timing)',
  )
    .option('--comment <text>', 'comment for the record', 'spe level tts')
    .option('--events <n>', 'charge stamps per D-Egg and block', intOption('--events'), 500)
    .option('--blocks <n>', 'blocks, each between two RapCal exchanges', intOption('--blocks'), 5)
    .option('--strength <s>', 'laser strength: the product of the filter wheels', numberOption('--strength'), 1)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, runTiming, {
          comment: opts.comment,
          n_jobs: opts.jobs,
          f_strength: opts.strength,
          n_events: opts.events,
          n_blocks: opts.blocks,
        });
        const r = result as TimingSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Timing against the tabletop board (${r.blocks} blocks of ${r.events} stamps per D-Egg), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: offset ${ns(x.offsetNs)} ± ${ns(x.offsetErrorNs)}, SPE time resolution ${ns(x.speTimeResolutionNs)}, ` +
              `PMT timing resolution ${ns(x.pmtTimingResolutionNs)} (${x.events} of ${x.stamps} stamps on laser shots; cable ${ns(x.cableDelayNs, 1)}, clock ${x.clockDriftPpm >= 0 ? '+' : ''}${x.clockDriftPpm.toFixed(3)} ppm)`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );

  measureCommand(
    measure,
    'waveform',
    'double pulse (or droop) of laser bursts in 1024-sample waveforms (the original measure_pulsed_waveform.py)',
  )
    .option('--comment <text>', 'comment for the record', 'double burst 0.05fw, 100 Hz')
    .option('--mode <mode>', 'double (bursts of 2) or droop (long bursts)', 'double')
    .option('--strength0 <s>', 'transmission of filter wheel 0', numberOption('--strength0'), 0.05)
    .option('--strength1 <s>', 'transmission of filter wheel 1', numberOption('--strength1'), 1.0)
    .option('--bursts <n>', 'pulses per burst in droop mode', intOption('--bursts'), 100)
    .option('--events <n>', 'laser shots per PMT', intOption('--events'), 5000)
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measurePulsed, {
          comment: opts.comment,
          n_jobs: opts.jobs,
          mode: opts.mode,
          strength0: opts.strength0,
          strength1: opts.strength1,
          bursts: opts.bursts,
          n_events: opts.events,
        });
        const r = result as PulsedSummary;
        emit(opts.json, { run: run.number, ...r }, () => [
          `${r.mode === 'double' ? 'Double pulse' : 'Burst droop'} at strength ${r.strength} (${r.events} laser shots per PMT), run ${run.number}, data in ${r.folder}:`,
          ...r.pmts.map(
            (x) =>
              `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: separation ${x.separationNs.toFixed(2)} ± ${x.separationStdNs.toFixed(2)} ns, peak ratio ${x.peakRatio.toFixed(3)}, peak/valley ${x.peakToValley.toFixed(2)}` +
              (x.droop !== null ? `, droop ${(100 * x.droop).toFixed(1)}%` : '') +
              ` (${x.fitted}/${x.laserEvents} waveforms)`,
          ),
          ...failureLines(r.failures),
        ]);
        throwOnFailures(r.failures);
      }),
    );
}

import type { Plan } from './templates.js';

/**
 * The standard FAT, task for task as the original `create_fat_config.py RUN_FILE CONFIG` writes it
 * (1114 tasks; 1086 with `--no_hv`): the same sections, in the same order, with the same values,
 * in icefat's format (parameters by name, so the original's positional slips do not arise here).
 * Section counters are shared as the generator shared them (one `status_check` count for the
 * whole file, one per remote analysis, warm reboots and cold boots apart), and the last
 * manual_input is numbered with the disable_laser counter, as the generator did.
 *
 * `run_backup` follows icefat's reading of the original's intent (the generator wrote
 * run_backup = False on the large-data measurements and nothing elsewhere, while its scheduler
 * backed up after every task): a backup after the small results worth keeping off-site (STF, gain
 * analysis, quick monitoring, timing, flasher, cameras, the cold boot, each freezer change),
 * never after the gain scans, scalers, slowmon, constant monitoring, linearity or double pulse.
 */

// ---- building blocks (the generator's helpers)

const disableLaser = (p: Plan) => p.add('disable_laser');
const status = (p: Plan) => p.add('status_check', { verbose: true, reboot: false });
const stf = (p: Plan, comment: string) => p.add('measure_stf', { comment, n_jobs: 4 }, { backup: true });
const stfAna = (p: Plan) => p.add('stf_ana');
const gain = (p: Plan, comment: string) => p.add('measure_gain', { comment, n_jobs: 4, resume: false });
const gainAna = (p: Plan) =>
  p.add(
    'analysis_wrapper',
    { pdf: false, mode: 'gain_scan', measurement_number: 'latest', offline: false, simple: false },
    { backup: true },
  );
const gainReady = (p: Plan) => p.add('validate_gain', { verbose: true });
const manInput = (p: Plan, message: string, count?: number) => p.add('manual_input', { message }, { count });
const freezer = (p: Plan, fcurrent: number, fdelta: number) =>
  p.add('set_freezer', { fcurrent, fdelta }, { base: 'dummy_wrapper', backup: true });
const monScan = (p: Plan) => p.add('slowmon', { max_i: 1, n_jobs: 4, use_fir: true });
const monFixed = (p: Plan, maxI: number, useFir = true, ignoreWarn = false) =>
  p.add('constant_monitor', { max_i: maxI, n_jobs: 4, use_fir: useFir, verbose: true, ignore_warn: ignoreWarn });
const reboot = (p: Plan, mode: 'reboot' | 'coldboot') => p.add('bootmon', { mode }, { tag: mode, backup: mode === 'coldboot' });
const darkrate = (p: Plan) =>
  p.add('measure_scaler', {
    comment: `FAT ${p.count('measure_scaler')}`,
    n_jobs: 4,
    use_alt_thresholds: false,
    no_hv: false,
    use_fir: true,
  });
const dt = (p: Plan) =>
  p.add('measure_spe', { comment: 'fir trigger for dt at cold temp FAT test', n_jobs: 4, n_events: 10000, use_fir: true });
const cameraDr = (p: Plan) => p.add('measure_camera', { comment: 'FAT', n_jobs: 4, plot: true, test: false }, { backup: true });
const cameraOff = (p: Plan) => p.add('disable_all_lights');
const cameraCopy = (p: Plan) => p.add('camera_file_checker');
const linearity = (p: Plan) => p.add('measure_linearity', { comment: '10 fw settings, 100 Hz', n_jobs: 4 });
const pulsed = (p: Plan) =>
  p.add('measure_pulsed_waveform', {
    comment: 'double burst 0.05fw, 100 Hz',
    strength0: 0.05,
    strength1: '1.0',
    n_jobs: 4,
    mode: 'double',
  });
// the generator writes the same comment at -40 and at -20
const tts = (p: Plan) =>
  p.add(
    'run_timing',
    { comment: 'spe level tts -40', n_jobs: 4, method: 'charge_stamp', overwrite: true, verbose: false },
    { backup: true },
  );
const leds = (p: Plan) => p.add('measure_baseline_flasher', { comment: 'FAT test', n_jobs: 4 }, { backup: true });
const cameraPattern = (p: Plan) => p.add('measure_pattern', { comment: 'FAT test', n_jobs: 4 }, { backup: true });
const bolt = (p: Plan, hvStatus: string) =>
  p.add('online_mon', { comment: 'quick online monitoring', n_repeat: 3, hv_status: hvStatus }, { backup: true });
const hvTest = (p: Plan) => p.add('measure_hv');
const remoteAna = (p: Plan, analysis: string) => p.add('trigger_remote_wrapper', { analysis }, { tag: analysis, tagFirst: true });

// ---- composite steps

/** A status check, quick monitoring and its remote analysis: what follows most steps. */
function quickMon(p: Plan, hvStatus: string): void {
  status(p);
  bolt(p, hvStatus);
  remoteAna(p, 'quick_monitoring');
}

/**
 * One loop while the temperature changes (~1 h for 16 modules), ending with a warm reboot; the 18
 * loops of the warming to room temperature reboot before the last remote analysis, the warm-up
 * without HV does not reboot.
 */
function changingLoop(p: Plan, rebootAt: 'end' | 'before-analysis' | 'none' = 'end'): void {
  monScan(p);
  remoteAna(p, 'gainscan_monitoring');
  status(p);
  bolt(p, 'moving');
  if (rebootAt === 'before-analysis') reboot(p, 'reboot');
  remoteAna(p, 'quick_monitoring');
  if (rebootAt === 'end') reboot(p, 'reboot');
}

function gainBlock(p: Plan, comment: string): void {
  gain(p, comment);
  remoteAna(p, 'gain');
  status(p);
  gainAna(p);
  gainReady(p);
}

/** Fixed-HV monitoring followed by quick monitoring (`statusAfter`: the status check the cold phase adds after it). */
function monBlock(p: Plan, maxI: number, hvStatus: string, o: { fir?: boolean; ignoreWarn?: boolean; statusAfter?: boolean } = {}): void {
  monFixed(p, maxI, o.fir ?? true, o.ignoreWarn ?? false);
  quickMon(p, hvStatus);
  if (o.statusAfter) status(p);
}

function darkrateAndDt(p: Plan, hvStatus: string): void {
  darkrate(p);
  remoteAna(p, 'darkrate');
  quickMon(p, hvStatus);
  dt(p);
  remoteAna(p, 'dt');
}

/** Linearity, double pulse and TTS, each with its remote analysis and quick monitoring after the light. */
function lightTests(p: Plan, hvStatus: string): void {
  for (const [measure, analysis] of [
    [linearity, 'linearity'],
    [pulsed, 'double_pulse'],
    [tts, 'tts'],
  ] as const) {
    measure(p);
    remoteAna(p, analysis);
    quickMon(p, `${hvStatus}_postIllumination`);
  }
}

/** Dark rate, delta-t and the light tests, then the laser off. */
function measurementSet(p: Plan, hvStatus: string): void {
  darkrateAndDt(p, hvStatus);
  quickMon(p, hvStatus);
  lightTests(p, hvStatus);
  disableLaser(p);
}

export function standard(p: Plan, hv: boolean): void {
  p.phase('1. room temperature');
  disableLaser(p);
  status(p);
  stf(p, 'room temp');
  stfAna(p);
  status(p);
  gainBlock(p, 'room temp');
  manInput(p, 'Are the gain and STF OK? If so, continue');
  freezer(p, 20, -60);

  p.phase('2. cool-down to -40 °C, about 20 h');
  for (let i = 0; i < 20; i++) changingLoop(p);

  p.phase('3. at -40 °C: first without light sources, then the light tests, the calibration devices and a cold boot');
  gainBlock(p, 'cooled down to -40');
  for (const fir of [true, false, true]) monBlock(p, 2, 'very_cold0', { fir });
  darkrateAndDt(p, 'very_cold0');
  quickMon(p, 'very_cold0');
  lightTests(p, 'very_cold0');
  disableLaser(p);
  cameraDr(p);
  status(p);
  cameraOff(p);
  leds(p);
  status(p);
  remoteAna(p, 'flasher_chargestamp');
  cameraPattern(p);
  status(p);
  cameraOff(p);
  cameraCopy(p);
  for (let i = 0; i < 2; i++) {
    bolt(p, 'very_cold0_postIllumination');
    remoteAna(p, 'quick_monitoring');
    status(p);
  }
  monBlock(p, 2, 'very_cold0', { fir: true, ignoreWarn: true, statusAfter: true });
  monBlock(p, 2, 'very_cold0', { fir: false, ignoreWarn: false, statusAfter: true });
  stf(p, 'fat cold');
  stfAna(p);
  quickMon(p, 'very_cold0');
  reboot(p, 'coldboot');
  status(p);
  monBlock(p, 2, 'very_cold0', { fir: true, ignoreWarn: true, statusAfter: true });
  monBlock(p, 2, 'very_cold0', { fir: false, ignoreWarn: false, statusAfter: true });
  freezer(p, -40, 20);
  bolt(p, 'very_cold0');
  remoteAna(p, 'quick_monitoring');
  status(p);

  p.phase('4. warming to -20 °C, about 10 h');
  for (let i = 0; i < 16; i++) changingLoop(p);

  p.phase('5. at -20 °C');
  gainBlock(p, 'now at -20');
  for (let i = 0; i < 16; i++) monBlock(p, 2, 'moving');
  measurementSet(p, 'kinda_cold0');
  stf(p, 'fat cold');
  stfAna(p);
  quickMon(p, 'kinda_cold0');
  freezer(p, -20, 40);

  p.phase('6. warming to room temperature, about 12 h, then repairs');
  for (let i = 0; i < 18; i++) changingLoop(p, 'before-analysis');
  manInput(p, 'Pausing DAQ for room temperature repairs!');
  freezer(p, 20, -60);

  p.phase('7. second cool-down to -40 °C, about 20 h');
  for (let i = 0; i < 26; i++) changingLoop(p);
  for (const fir of [true, true, true, false]) monBlock(p, 2, 'moving', { fir });
  if (hv) {
    hvTest(p);
    quickMon(p, 'moving');
  }

  p.phase('8. again at -40 °C (54 constant monitoring runs, about 36 h)');
  gainBlock(p, 'again at -40');
  darkrateAndDt(p, 'very_cold1');
  quickMon(p, 'very_cold1');
  for (let i = 0; i < 54; i++) monBlock(p, 1, 'very_cold1');
  remoteAna(p, 'detailed_monitoring');
  measurementSet(p, 'very_cold1');
  stf(p, 'fat cold');
  stfAna(p);
  quickMon(p, 'very_cold1');
  freezer(p, -40, 60);

  p.phase(`9. warm-up to room temperature${hv ? ', HV checked on the way' : ' without HV (--no_hv)'}`);
  for (let i = 0; i < (hv ? 36 : 24); i++) {
    if (hv) {
      hvTest(p);
      quickMon(p, 'moving');
    } else changingLoop(p, 'none');
  }
  // the generator numbers this one with its disable_laser counter
  manInput(p, 'Run is Finished, install dehumidifiers!', p.count('disable_laser'));
}

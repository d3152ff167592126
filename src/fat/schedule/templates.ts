/**
 * Schedule templates in icefat's INI format, written the way create_fat_config.py built the
 * original's: one small helper per building block, phases as plain loops, section names
 * `<task>_<count>` (`bootmon_<n>_<mode>`, `trigger_remote_wrapper_<analysis>_<n>`).
 *
 * `run_backup` is set after tasks whose results are small and worth keeping off-site (STF, gain
 * analysis, quick monitoring, timing, flasher, cameras, the cold boot, before a freezer change),
 * never after the large-data measurements (gain scan, scalers, slowmon, constant monitoring,
 * linearity, double pulse), as the original intended.
 */
export type TemplateName = 'example' | 'standard';
export const TEMPLATE_NAMES: TemplateName[] = ['example', 'standard'];

type Value = string | number | boolean;

class Plan {
  private readonly out: string[] = [];
  private readonly counts = new Map<string, number>();

  constructor(title: string, runFile: string) {
    this.out.push(`# ${title}`, '# written by `fat schedule create`; check it with `fat schedule check FILE`', '');
    this.out.push('[constants]', `run_file = ${runFile}`, 'verbose = true');
  }

  phase(text: string): void {
    this.out.push('', `# ---- ${text}`);
  }

  /** One task section; `tag` goes into the section name as the original did for bootmon and remote analyses. */
  add(task: string, params: Record<string, Value> = {}, opts: { backup?: boolean; tag?: string; tagFirst?: boolean } = {}): void {
    const key = opts.tag === undefined ? task : `${task}/${opts.tag}`;
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    const section = opts.tag === undefined ? `${task}_${n}` : opts.tagFirst ? `${task}_${opts.tag}_${n}` : `${task}_${n}_${opts.tag}`;
    this.out.push('', `[${section}]`, `task = ${task}`);
    for (const [k, v] of Object.entries(params)) this.out.push(`${k} = ${String(v)}`);
    if (opts.backup) this.out.push('run_backup = true');
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

// ---- building blocks (the helpers of create_fat_config.py)

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
const manInput = (p: Plan, message: string) => p.add('manual_input', { message });
const freezer = (p: Plan, fcurrent: number, fdelta: number) => p.add('set_freezer', { fcurrent, fdelta }, { backup: true });
const disableLaser = (p: Plan) => p.add('disable_laser');
const monScan = (p: Plan) => p.add('slowmon', { max_i: 1, n_jobs: 4, use_fir: true });
const monFixed = (p: Plan, useFir = true) =>
  p.add('constant_monitor', { max_i: 1, n_jobs: 4, use_fir: useFir, verbose: true, ignore_warn: false });
const reboot = (p: Plan, mode: 'reboot' | 'coldboot') => p.add('bootmon', { mode }, { tag: mode, backup: mode === 'coldboot' });
const darkrate = (p: Plan, n: number) =>
  p.add('measure_scaler', { comment: `FAT ${n}`, n_jobs: 4, use_alt_thresholds: false, no_hv: false, use_fir: true });
const dt = (p: Plan, comment: string) => p.add('measure_spe', { comment, n_jobs: 4, n_events: 10000, use_fir: true });
const cameraDr = (p: Plan) => p.add('measure_camera', { comment: 'FAT', plot: true, test: false }, { backup: true });
const cameraOff = (p: Plan) => p.add('disable_all_lights');
const cameraCopy = (p: Plan) => p.add('camera_file_checker');
const linearity = (p: Plan) => p.add('measure_linearity', { comment: '10 fw settings, 100 Hz' });
const pulsed = (p: Plan) =>
  p.add('measure_pulsed_waveform', { comment: 'double burst 0.05fw, 100 Hz', strength0: 0.05, strength1: 1.0, mode: 'double' });
const tts = (p: Plan, comment: string) => p.add('run_timing', { comment, method: 'charge_stamp', overwrite: true }, { backup: true });
const leds = (p: Plan) => p.add('measure_baseline_flasher', { comment: 'FAT test' }, { backup: true });
const cameraPattern = (p: Plan) => p.add('measure_pattern', { comment: 'FAT test' }, { backup: true });
const bolt = (p: Plan, hvStatus: string) =>
  p.add('online_mon', { comment: 'quick online monitoring', n_repeat: 3, hv_status: hvStatus }, { backup: true });
const hvTest = (p: Plan) => p.add('measure_hv');
const remoteAna = (p: Plan, analysis: string) => p.add('trigger_remote_wrapper', { analysis }, { tag: analysis, tagFirst: true });

// ---- composite steps

/** One loop of monitoring while the temperature changes (~1 h for 16 modules). */
function changingLoop(p: Plan): void {
  monScan(p);
  remoteAna(p, 'gainscan_monitoring');
  status(p);
  bolt(p, 'moving');
  remoteAna(p, 'quick_monitoring');
  reboot(p, 'reboot');
}

function gainBlock(p: Plan, comment: string): void {
  gain(p, comment);
  remoteAna(p, 'gain');
  status(p);
  gainAna(p);
  gainReady(p);
}

/** Dark rate, delta-t, linearity, double pulse and TTS, each followed by its remote analysis, a status check and quick monitoring. */
function measurementSet(p: Plan, label: string, n: number, hvStatus: string): void {
  const after = (analysis: string, illuminated: boolean) => {
    remoteAna(p, analysis);
    status(p);
    bolt(p, illuminated ? `${hvStatus}_postIllumination` : hvStatus);
  };
  darkrate(p, n);
  after('darkrate', false);
  dt(p, `dt ${label}`);
  after('dt', false);
  linearity(p);
  after('linearity', true);
  pulsed(p);
  after('double_pulse', true);
  tts(p, `spe level tts ${label}`);
  after('tts', true);
}

function standard(p: Plan, hv = true): void {
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

  p.phase('3. at -40 °C');
  gainBlock(p, 'FAT -40');
  for (const fir of [true, false, true]) {
    monFixed(p, fir);
    bolt(p, 'very_cold0');
  }
  measurementSet(p, '-40', 1, 'very_cold1');
  disableLaser(p);
  cameraDr(p);
  cameraOff(p);
  leds(p);
  cameraPattern(p);
  cameraOff(p);
  cameraCopy(p);
  for (let i = 0; i < 2; i++) monFixed(p);
  stf(p, 'fat cold');
  reboot(p, 'coldboot');
  for (let i = 0; i < 2; i++) monFixed(p);
  freezer(p, -40, 20);

  p.phase('4. warming to -20 °C, about 10 h');
  for (let i = 0; i < 16; i++) changingLoop(p);

  p.phase('5. at -20 °C');
  gainBlock(p, 'FAT -20');
  for (let i = 0; i < 16; i++) monFixed(p);
  measurementSet(p, '-20', 2, 'kinda_cold0');
  disableLaser(p);
  stf(p, 'fat -20');
  freezer(p, -20, 40);

  p.phase('6. warming to room temperature, about 12 h, then repairs');
  for (let i = 0; i < 18; i++) changingLoop(p);
  manInput(p, 'Pausing DAQ for room temperature repairs!');
  freezer(p, 20, -60);

  p.phase('7. second cool-down to -40 °C, about 20 h');
  for (let i = 0; i < 26; i++) changingLoop(p);
  for (let i = 0; i < 4; i++) monFixed(p);
  if (hv) hvTest(p);

  p.phase('8. again at -40 °C (54 constant monitoring runs, about 36 h)');
  gainBlock(p, 'FAT -40 second');
  darkrate(p, 3);
  dt(p, 'dt -40 second');
  for (let i = 0; i < 54; i++) monFixed(p);
  remoteAna(p, 'detailed_monitoring');
  measurementSet(p, '-40 second', 4, 'very_cold1');
  disableLaser(p);
  stf(p, 'fat cold second');
  freezer(p, -40, 60);

  p.phase('9. warm-up to room temperature');
  for (let i = 0; i < (hv ? 36 : 24); i++) {
    if (hv) {
      hvTest(p);
      status(p);
      bolt(p, 'moving');
      remoteAna(p, 'quick_monitoring');
    } else monScan(p);
  }
  manInput(p, 'Run is Finished, install dehumidifiers!');
}

function example(p: Plan): void {
  p.add('wait_time', { pause: 60 });
  p.add('readout_and_reboot', { comment: 'before the measurements', set_time: 600 });
  stf(p, 'example');
  gain(p, 'example gain 1');
  gain(p, 'example gain 2');
  darkrate(p, 1);
  linearity(p);
  p.add('measure_pulsed_waveform', { comment: 'long waveform, 100 Hz', strength0: 0.05, strength1: 1.0, mode: 'double' });
  leds(p);
  p.add('readout_and_reboot', { comment: 'after the measurements', set_time: 600 }, { backup: true });
  manInput(p, 'Example schedule finished: check the results. Continue?');
}

/** The INI text of a template; `runFile` is written as given (use an absolute path). */
export function scheduleTemplate(name: TemplateName, runFile: string, opts: { hv?: boolean } = {}): string {
  if (name === 'example') {
    const p = new Plan('icefat schedule: the seed example (short, about a day of lab time for 16 modules)', runFile);
    example(p);
    return p.text();
  }
  const p = new Plan('icefat schedule: the standard FAT (original-system.md §3), one to two weeks', runFile);
  standard(p, opts.hv ?? true);
  return p.text();
}

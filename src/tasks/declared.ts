import { z } from 'zod';
import { iniBool, iniChoice, iniInt, iniNumber, iniRequiredText, iniText } from './values.js';
import type { TaskKind } from './types.js';

/**
 * The measurement and monitoring kinds of the original standard FAT and the seed's example, as
 * declarations: parameters (names and defaults from original-system.md §3 and §6), the original's
 * positional order, and a duration estimate. They have no `run` yet, so a schedule naming one
 * fails validation with `unavailable` until the measurements issue implements them.
 *
 * Estimates are lab seconds. Work spreads over `n_jobs` parallel jobs, at most one per wire pair
 * (four), and the modules of one job are measured one after another.
 */
const UNAVAILABLE = 'arrives with the measurements issue (#4)';
const HV_RAMP_S = 40;

/** Sequential rounds of per-module work: 16 modules with 4 jobs take 4 rounds. */
export function rounds(modules: number, nJobs: number): number {
  return Math.ceil(Math.max(1, modules) / Math.min(4, Math.max(1, nJobs)));
}

const nJobs = () => iniInt({ min: 1, max: 16 }).default(4);
const comment = (def: string) => iniText().default(def);

/** Erases the parameter type so kinds of different shapes fit one list. */
function declare<P extends Record<string, unknown>>(k: Omit<TaskKind<P>, 'unavailable' | 'run'>): TaskKind {
  return { ...k, unavailable: UNAVAILABLE };
}

const stf = z.object({ comment: comment(''), n_jobs: nJobs() });
const gain = z.object({
  comment: comment(''),
  n_jobs: nJobs(),
  resume: iniBool(false),
  mode: iniChoice(['scan', 'check']).default('scan'),
  n_checks: iniInt({ min: 1 }).default(1),
  configuration: iniChoice(['waveform', 'chargestamp']).default('waveform'),
});
const gainAna = z.object({
  pdf: iniBool(false),
  mode: iniText().default('gain_scan'),
  measurement_number: iniText().default('latest'),
  offline: iniBool(false),
  simple: iniBool(false),
});
const scaler = z.object({
  comment: comment('FAT'),
  n_jobs: nJobs(),
  use_alt_thresholds: iniBool(false),
  no_hv: iniBool(false),
  use_fir: iniBool(false),
});
const dt = z.object({ comment: comment(''), n_jobs: nJobs(), n_events: iniInt({ min: 1 }).default(10000), use_fir: iniBool(true) });
const linearity = z.object({ comment: comment('10 fw settings, 100 Hz'), n_jobs: nJobs() });
const pulsed = z.object({
  comment: comment('double burst 0.05fw, 100 Hz'),
  strength0: iniNumber({ min: 0, max: 1 }).default(0.05),
  strength1: iniNumber({ min: 0, max: 1 }).default(1.0),
  mode: iniChoice(['double', 'droop']).default('double'),
});
const timing = z.object({
  comment: comment('spe level tts'),
  method: iniChoice(['charge_stamp', 'waveform']).default('charge_stamp'),
  overwrite: iniBool(true),
});
const baseline = z.object({ comment: comment(''), n_jobs: nJobs(), dac_value: iniInt({ min: 0, max: 65535 }).default(30000) });
const flasher = z.object({ comment: comment('FAT test'), n_jobs: nJobs() });
const camera = z.object({ comment: comment('FAT'), plot: iniBool(true), test: iniBool(false) });
const none = z.object({});
const pattern = z.object({ comment: comment('FAT test') });
const onlineMon = z.object({
  comment: comment('quick online monitoring'),
  n_repeat: iniInt({ min: 1 }).default(3),
  hv_status: iniRequiredText(),
});
const slowmon = z.object({ max_i: iniInt({ min: 1 }).default(1), n_jobs: nJobs(), use_fir: iniBool(true) });
const constantMonitor = z.object({
  max_i: iniInt({ min: 1 }).default(1),
  n_jobs: nJobs(),
  use_fir: iniBool(true),
  verbose: iniBool(true),
  ignore_warn: iniBool(false),
});
const bootmon = z.object({ mode: iniChoice(['reboot', 'coldboot']) });
const REMOTE_ANALYSES = [
  'darkrate',
  'double_pulse',
  'flasher_chargestamp',
  'gain',
  'linearity',
  'quick_monitoring',
  'detailed_monitoring',
  'gainscan_monitoring',
  'reboot_monitoring',
  'spe',
  'tts',
  'dt',
] as const;
const remote = z.object({ analysis: iniChoice(REMOTE_ANALYSES), number: iniText().default('latest') });

export const declaredKinds: TaskKind[] = [
  declare({
    name: 'measure_stf',
    aliases: ['stf_wrapper', 'stf'],
    summary: 'Simple Test Framework (DEgg-FAT set), one run per module',
    params: stf,
    positional: ['comment', 'n_jobs'],
    estimateS: (p: z.infer<typeof stf>, m) => 60 + rounds(m, p.n_jobs) * 480,
  }),
  declare({
    name: 'stf_ana',
    summary: 'analysis of the latest STF results',
    params: none,
    positional: [],
    estimateS: (_p, m) => 30 + 5 * m,
  }),
  declare({
    name: 'measure_gain',
    summary: 'gain scan to the HV at gain 1e7 (or a gain check at the set HV)',
    params: gain,
    positional: ['comment', 'n_jobs', 'resume', 'mode', 'n_checks', 'configuration'],
    // a scan takes about 6-8 points of 10000 events per PMT: ~25 min a module, 1.5-2 h for 16 with 4 jobs
    estimateS: (p: z.infer<typeof gain>, m) => HV_RAMP_S + rounds(m, p.n_jobs) * (p.mode === 'scan' ? 1500 : 300 * p.n_checks),
  }),
  declare({
    name: 'analysis_wrapper',
    summary: 'gain analysis: HV at 1e7 gain and SPE peak height into the module files',
    params: gainAna,
    positional: ['pdf', 'mode', 'measurement_number', 'offline', 'simple'],
    estimateS: (_p, m) => 30 + 10 * m,
  }),
  declare({
    name: 'validate_gain',
    summary: 'every PMT has an HV at gain 1e7 (else pause for the gain analysis)',
    params: z.object({ verbose: iniBool(true) }),
    positional: ['verbose'],
    estimateS: () => 2,
  }),
  declare({
    name: 'measure_scaler',
    summary: 'dark rate from scalers at 0.25 PE (5000 windows of 100 ms per PMT)',
    params: scaler,
    positional: ['comment', 'n_jobs', 'use_alt_thresholds', 'no_hv', 'use_fir'],
    estimateS: (p: z.infer<typeof scaler>, m) => HV_RAMP_S + rounds(m, p.n_jobs) * 540,
  }),
  declare({
    name: 'measure_spe',
    aliases: ['dt'],
    summary: 'delta-t / correlated noise, 10000 dark events per PMT',
    params: dt,
    positional: ['comment', 'n_jobs', 'n_events', 'use_fir'],
    estimateS: (p: z.infer<typeof dt>, m) => HV_RAMP_S + rounds(m, p.n_jobs) * 2 * p.n_events * 0.02,
  }),
  declare({
    name: 'measure_linearity',
    summary: 'linearity: 10 filter settings x 5000 laser events at 100 Hz',
    params: linearity,
    positional: ['comment', 'n_jobs'],
    // all modules are measured before the filter wheel moves on
    estimateS: (p: z.infer<typeof linearity>, m) => 60 + 10 * (rounds(m, p.n_jobs) * 60 + 15),
  }),
  declare({
    name: 'measure_pulsed_waveform',
    aliases: ['measure_long_waveform'],
    summary: 'double pulse (or droop) with 1024-sample waveforms, 5000 events',
    params: pulsed,
    positional: ['comment', 'strength0', 'strength1', 'mode'],
    estimateS: (_p, m) => 60 + rounds(m, 4) * 2 * 150,
  }),
  declare({
    name: 'run_timing',
    aliases: ['tts'],
    summary: 'transit-time spread with RapCal, laser at 500 Hz',
    params: timing,
    positional: ['comment', 'method', 'overwrite'],
    estimateS: (_p, m) => 60 + m * 2 * 45,
  }),
  declare({
    name: 'measure_baseline',
    summary: 'baseline: 50 waveforms of 1024 samples per PMT',
    params: baseline,
    positional: ['comment', 'n_jobs', 'dac_value'],
    estimateS: (p: z.infer<typeof baseline>, m) => 30 + rounds(m, p.n_jobs) * 2 * 20,
  }),
  declare({
    name: 'measure_baseline_flasher',
    summary: 'flasher LEDs: 12 LEDs x 10 bias settings, lower PMT',
    params: flasher,
    positional: ['comment', 'n_jobs'],
    estimateS: (p: z.infer<typeof flasher>, m) => HV_RAMP_S + rounds(m, p.n_jobs) * 600,
  }),
  declare({
    name: 'measure_camera',
    summary: 'camera dark noise: 3 cameras x 30 images',
    params: camera,
    positional: ['comment', 'plot', 'test'],
    estimateS: (_p, m) => 60 + rounds(m, 4) * 3 * 30 * 4,
  }),
  declare({
    name: 'disable_all_lights',
    summary: 'switch all camera illumination off',
    params: none,
    positional: [],
    estimateS: () => 10,
  }),
  declare({
    name: 'camera_file_checker',
    summary: 'check and copy the camera image files',
    params: none,
    positional: [],
    estimateS: (_p, m) => 120 + 20 * m,
  }),
  declare({
    name: 'measure_pattern',
    summary: 'camera pattern test',
    params: pattern,
    positional: ['comment'],
    estimateS: (_p, m) => 60 + rounds(m, 4) * 3 * 60,
  }),
  declare({
    name: 'online_mon',
    summary: 'quick online monitoring: supplies, HV, pressure, temperature, baselines, FIR scalers',
    params: onlineMon,
    positional: ['comment', 'n_repeat', 'hv_status'],
    // modules go in 4 batches by wire pair
    estimateS: (p: z.infer<typeof onlineMon>, m) => 60 + p.n_repeat * Math.ceil(Math.max(1, m) / 4) * 45,
  }),
  declare({
    name: 'slowmon',
    summary: 'gain-scan monitoring while the temperature changes (new HV at 1e7, scalers, delta-t)',
    params: slowmon,
    positional: ['max_i', 'n_jobs', 'use_fir'],
    // with bolt, status, reboot and two remote analyses one cool-down loop is about 1 h (20 loops ~ 20 h)
    estimateS: (p: z.infer<typeof slowmon>, m) => 60 + p.max_i * rounds(m, p.n_jobs) * 540,
  }),
  declare({
    name: 'constant_monitor',
    summary: 'monitoring at fixed HV: gain check, scalers, delta-t',
    params: constantMonitor,
    positional: ['max_i', 'n_jobs', 'use_fir', 'verbose', 'ignore_warn'],
    // ~40 min for 16 modules: 54 of them are the ~36 h of the second -40 °C phase
    estimateS: (p: z.infer<typeof constantMonitor>, m) => p.max_i * (60 + rounds(m, p.n_jobs) * 585),
  }),
  declare({
    name: 'bootmon',
    summary: 'warm reboot of every module, or a cold boot (wire pairs off for 8 h)',
    params: bootmon,
    positional: ['mode'],
    estimateS: (p: z.infer<typeof bootmon>, m) =>
      p.mode === 'coldboot' ? HV_RAMP_S + 8 * 3600 + 300 + 10 * m + HV_RAMP_S : HV_RAMP_S + 16 * 2 + 5 + 10 * m + HV_RAMP_S,
  }),
  declare({
    name: 'measure_hv',
    summary: 'HV sweep of each PMT across HV(1e7) +/- 120 V in 1 V steps',
    params: none,
    positional: [],
    estimateS: (_p, m) => HV_RAMP_S + rounds(m, 4) * 2 * 241,
  }),
  declare({
    name: 'trigger_remote_wrapper',
    summary: 'copy the data to the analysis server and start a remote analysis (fire and forget)',
    params: remote,
    positional: ['analysis', 'number'],
    estimateS: (_p, m) => 60 + 5 * m,
  }),
];

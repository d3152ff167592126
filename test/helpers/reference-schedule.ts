import path from 'node:path';

/**
 * The original generator's real output (`create_fat_config.py RUN_FILE CONFIG`, default options;
 * a copy of ../shared/reference/original-standard-fat.ini) and its task counts from
 * original-standard-fat.md, for the default and for `--no_hv`.
 */
export const REFERENCE_INI = path.resolve(import.meta.dirname, '../fixtures/schedules/original-standard-fat.ini');

export const REFERENCE_COUNTS: Record<string, number> = {
  trigger_remote_wrapper: 324,
  status_check: 235,
  online_mon: 221,
  constant_monitor: 81,
  bootmon: 81,
  slowmon: 80,
  measure_hv: 37,
  set_freezer: 5,
  validate_gain: 4,
  stf_ana: 4,
  measure_stf: 4,
  measure_spe: 4,
  measure_scaler: 4,
  measure_gain: 4,
  disable_laser: 4,
  analysis_wrapper: 4,
  run_timing: 3,
  measure_pulsed_waveform: 3,
  measure_linearity: 3,
  manual_input: 3,
  disable_all_lights: 2,
  measure_pattern: 1,
  measure_camera: 1,
  measure_baseline_flasher: 1,
  camera_file_checker: 1,
};

/** "With --no_hv: trigger_remote_wrapper 335, status_check 222, online_mon 208, slowmon 104, measure_hv 0, the rest the same." */
export const NO_HV_COUNTS: Record<string, number> = (() => {
  const { measure_hv: _hv, ...rest } = REFERENCE_COUNTS;
  return { ...rest, trigger_remote_wrapper: 335, status_check: 222, online_mon: 208, slowmon: 104 };
})();

export function kindCounts(tasks: Array<{ kind: string }>): Record<string, number> {
  const n: Record<string, number> = {};
  for (const t of tasks) n[t.kind] = (n[t.kind] ?? 0) + 1;
  return n;
}

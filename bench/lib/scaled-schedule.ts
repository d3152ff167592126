/**
 * The event counts the benchmarks scale down, so a whole schedule runs in minutes instead of the
 * hours of CPU that the original's few hundred million simulated waveforms take on 2 cores. Each
 * benchmark prints this table beside its figures.
 */

/** Per task kind: parameter = [value used here, the original's value] */
export const SCALED: Record<string, Record<string, [number, number]>> = {
  measure_gain: { n_events: [1000, 10000] },
  measure_scaler: { n_runs: [50, 5000] },
  measure_linearity: { n_events: [100, 5000] },
  measure_pulsed_waveform: { n_events: [100, 5000] },
  measure_baseline_flasher: { n_events: [20, 500] },
  measure_spe: { n_events: [200, 10000] },
  slowmon: { n_gain_events: [500, 30000], n_check_events: [500, 20000], n_runs: [20, 1000], n_dt_events: [100, 10000] },
  constant_monitor: { n_gain_events: [500, 30000], n_runs: [20, 1000], n_dt_events: [100, 10000] },
  measure_hv: { step_volts: [10, 1], n_reads: [4, 20] },
  measure_camera: { n_images: [2, 30] },
};

/** the first `n` task sections of an INI schedule, with whatever precedes the first task */
function firstTasks(lines: string[], n: number): string[] {
  let seen = 0;
  const end = lines.findIndex((l) => /^task = /.test(l) && ++seen > n);
  if (end < 0) return lines;
  // back to the section header of the task that is cut
  let cut = end;
  while (cut > 0 && !lines[cut].startsWith('[')) cut--;
  return lines.slice(0, cut);
}

/** An INI schedule with the parameters of SCALED set to their values here (and its first `maxTasks` tasks). */
export function scaledSchedule(text: string, maxTasks?: number): string {
  let scaled: Record<string, [number, number]> | undefined;
  const lines = text.split('\n').flatMap((l) => {
    if (l.startsWith('[')) scaled = undefined;
    const kind = /^task = (\w+)$/.exec(l)?.[1];
    if (kind) {
      scaled = SCALED[kind];
      return scaled ? [l, ...Object.entries(scaled).map(([k, [v]]) => `${k} = ${v}`)] : [l];
    }
    const key = /^(\w+) = /.exec(l)?.[1];
    return scaled && key && key in scaled ? [] : [l];
  });
  return (maxTasks ? firstTasks(lines, maxTasks) : lines).join('\n');
}

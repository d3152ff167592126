/**
 * The whole standard FAT, the real schedule (`fat schedule create --template standard`, which is
 * the original create_fat_config.py output section for section: 1114 tasks over room temperature,
 * cool-down, -40 °C, -20 °C, the room-temperature pause, the second cool-down and -40 °C phase and
 * the warm-up; test/fat/schedule.test.ts compares it with the generator's file) for 16 simulated
 * D-Eggs, as `fat master --dry-run` runs it (virtual time, prompts answered yes at once) but with
 * the compiled `fat master` and the simulated lab each in a process of its own
 * (bench/lib/virtual-station.ts), so that the master's CPU and memory are its own. The simulator
 * runs at full speed; only the event counts are scaled down, because the original's counts are a
 * few hundred million simulated waveforms (hours of CPU on a 2-core machine). Each scaled
 * parameter is printed next to the original's value.
 *
 *   tsx bench/standard-fat.ts [--tasks N]      (--tasks N: only the schedule's first N tasks)
 *
 * Reported: wall time, CPU time of the master and of the lab and wall over their sum, lab time
 * (days) against the schedule's estimate, tasks per final state, the slowest task kinds, the
 * master's peak RSS and its heap after a full GC every 100 tasks with the slope over the last 500,
 * and the lab's peak RSS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { heapSlope, runMaster, virtualStation } from './lib/virtual-station.js';

/** Per task kind: parameter = [value used here, the original's value] */
const SCALED: Record<string, Record<string, [number, number]>> = {
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

function scaledSchedule(template: string, maxTasks?: number): string {
  let scaled: Record<string, [number, number]> | undefined;
  const lines = template.split('\n').flatMap((l) => {
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

async function main() {
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');
  const i = process.argv.indexOf('--tasks');
  const maxTasks = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  if (maxTasks !== undefined && !(Number.isInteger(maxTasks) && maxTasks > 0)) throw new Error(`--tasks needs a positive integer, got ${process.argv[i + 1]}`);

  const st = await virtualStation('standard-fat', 5);
  try {
    const config = path.join(st.home, 'standard.ini');
    fs.writeFileSync(config, scaledSchedule(scheduleTemplate('standard', st.runFile), maxTasks));
    const lab0 = st.lab.usage()?.cpuS ?? 0;
    const wall0 = Date.now();
    const master = await runMaster(st, [config]);
    const wallS = (Date.now() - wall0) / 1000;
    const labCpuS = (st.lab.usage()?.cpuS ?? 0) - lab0;

    const tasks = st.rows<{ kind: string; state: string; estimate_s: number; lab_s: number | null }>(
      `select kind, state, estimate_s, (julianday(ended_at) - julianday(started_at)) * 86400 as lab_s from tasks order by idx`,
    );
    const states: Record<string, number> = {};
    const byKind = new Map<string, { n: number; labS: number }>();
    for (const t of tasks) {
      states[t.state] = (states[t.state] ?? 0) + 1;
      const k = byKind.get(t.kind) ?? { n: 0, labS: 0 };
      k.n++;
      k.labS += t.lab_s ?? 0;
      byKind.set(t.kind, k);
    }
    const labS = tasks.reduce((s, t) => s + (t.lab_s ?? 0), 0);
    const kinds = [...byKind].sort((a, b) => b[1].labS - a[1].labS);
    console.log(
      JSON.stringify({
        benchmark: 'standard-fat',
        modules: 16,
        tasks: tasks.length,
        states,
        promptsAnswered: master.prompts,
        wallS: Number(wallS.toFixed(1)),
        masterCpuS: Number(master.cpuS.toFixed(1)),
        labCpuS: Number(labCpuS.toFixed(1)),
        wallToCpu: Number((wallS / (master.cpuS + labCpuS)).toFixed(2)),
        masterPeakRssMB: master.peakRssMB,
        labPeakRssMB: Number(st.lab.usage()?.peakRssMB.toFixed(1) ?? NaN),
        masterHeapAfterGcMB: master.heap,
        heapSlopeLast500MBper100Tasks: heapSlope(master.heap.filter((h) => h.task > tasks.length - 500)),
        labDays: Number((labS / 86400).toFixed(2)),
        estimateDays: Number((tasks.reduce((s, t) => s + t.estimate_s, 0) / 86400).toFixed(2)),
        labToWallRatio: Math.round(labS / wallS),
        longestKindsLabHours: Object.fromEntries(kinds.slice(0, 6).map(([k, v]) => [`${k} (${v.n})`, Number((v.labS / 3600).toFixed(1))])),
        scaledParameters: SCALED,
        note: `the standard schedule (the original generator's, 1114 tasks${maxTasks ? `; here its first ${maxTasks}` : ''}) on virtual time, prompts answered yes at once, the compiled fat master and the simulated lab in processes of their own; wallToCpu is wall time over the CPU time of both; event counts scaled down as listed ([used, original])`,
      }),
    );
    if (tasks.some((t) => t.state !== 'done')) process.exitCode = 1;
  } finally {
    await st.close();
  }
}

await main();

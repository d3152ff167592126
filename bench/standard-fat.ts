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
 * master's peak RSS and its heap after a full GC every 100 tasks (the least of three samples a task
 * apart: bench/lib/virtual-station.ts) with the slope over the last 500,
 * and the lab's peak RSS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SCALED, scaledSchedule } from './lib/scaled-schedule.js';
import { heapSlope, runMaster, virtualStation } from './lib/virtual-station.js';

async function main() {
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');
  const i = process.argv.indexOf('--tasks');
  const maxTasks = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  if (maxTasks !== undefined && !(Number.isInteger(maxTasks) && maxTasks > 0))
    throw new Error(`--tasks needs a positive integer, got ${process.argv[i + 1]}`);

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

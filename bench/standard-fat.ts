/**
 * The whole standard FAT, the real schedule (`fat schedule create --template standard`, which is
 * the original create_fat_config.py output section for section: 1114 tasks over room temperature,
 * cool-down, -40 °C, -20 °C, the room-temperature pause, the second cool-down and -40 °C phase and
 * the warm-up; test/fat/schedule.test.ts compares it with the generator's file) for 16 simulated
 * D-Eggs, run by the real engine with `fat master --dry-run` (prompts answered at once), the
 * simulated lab in a process of its own on virtual time (sim/lab-process.ts; clock/clock-link.ts),
 * so that this process is the master alone. The simulator runs at full speed; only the event
 * counts are scaled down, because the original's counts are a few hundred million simulated
 * waveforms (hours of CPU on a 2-core machine). Each scaled parameter is printed next to the
 * original's value.
 *
 *   node --expose-gc --import tsx bench/standard-fat.ts [--tasks N] [--in-process]
 *
 * --tasks N: only the first N tasks of the schedule; --in-process: the lab in this process (as
 * before), for comparison.
 *
 * Reported: wall time, CPU time of the master and of the lab and the ratio of wall to CPU, lab
 * time (days), tasks per final state, the slowest task kinds, the master's peak memory and its
 * heap after a full GC every 100 tasks with the slope over the last 500, and the lab's peak memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

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

/** least-squares slope of y over x */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : 0;
}

const mb = (bytes: number) => Number((bytes / 1048576).toFixed(1));

async function main() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does): the heap after GC is part of the result');
  const maxTasks = option('--tasks') === undefined ? undefined : Number(option('--tasks'));
  if (maxTasks !== undefined && !(Number.isInteger(maxTasks) && maxTasks > 0)) throw new Error(`--tasks needs a positive integer, got ${option('--tasks')}`);
  const inProcess = process.argv.includes('--in-process');
  const { dryRun } = await import('../src/engine/dry-run.js');
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-standard-'));
  const file = path.join(dir, 'standard.ini');
  // the dry run makes its own run; the schedule only has to name an existing run file
  const runFile = path.join(dir, 'run_00001.json');
  fs.writeFileSync(runFile, '{}');
  let scaled: Record<string, [number, number]> | undefined;
  const lines = scheduleTemplate('standard', runFile)
    .split('\n')
    .flatMap((l) => {
      if (l.startsWith('[')) scaled = undefined;
      const kind = /^task = (\w+)$/.exec(l)?.[1];
      if (kind) {
        scaled = SCALED[kind];
        return scaled ? [l, ...Object.entries(scaled).map(([k, [v]]) => `${k} = ${v}`)] : [l];
      }
      const key = /^(\w+) = /.exec(l)?.[1];
      return scaled && key && key in scaled ? [] : [l];
    });
  fs.writeFileSync(file, (maxTasks ? firstTasks(lines, maxTasks) : lines).join('\n'));

  // the master's heap after a full GC every 100 tasks (at the start of task 100, 200, ...)
  const heap: Array<{ task: number; heapMB: number }> = [];
  let started = 0;
  // where the master's peak memory rose: the growth of its peak RSS during each task, by kind
  const peakRise = new Map<string, number>();
  let current = '';
  let peakBefore = process.resourceUsage().maxRSS;
  const onEvent = (e: { kind: string; message?: string }) => {
    if (e.kind !== 'task.start' && e.kind !== 'task.done') return;
    const peak = process.resourceUsage().maxRSS;
    if (current && peak > peakBefore) peakRise.set(current, Math.max(peakRise.get(current) ?? 0, peak - peakBefore));
    peakBefore = peak;
    current = e.kind === 'task.start' ? (/\((\w+)\)$/.exec(e.message ?? '')?.[1] ?? '?') : '';
    if (e.kind !== 'task.start' || ++started % 100 !== 0) return;
    gc();
    heap.push({ task: started, heapMB: mb(process.memoryUsage().heapUsed) });
  };
  const cpu0 = process.cpuUsage();
  const r = await dryRun(file, { seed: 5, labProcess: !inProcess, onEvent });
  const cpu = process.cpuUsage(cpu0);
  const masterCpuS = (cpu.user + cpu.system) / 1e6;
  const labCpuS = r.labUsage?.cpuS ?? 0;
  const last500 = heap.filter((h) => h.task > started - 500).map((h) => ({ x: h.task, y: h.heapMB }));
  const states: Record<string, number> = {};
  const byKind = new Map<string, { n: number; labS: number }>();
  for (const t of r.tasks) {
    states[t.state] = (states[t.state] ?? 0) + 1;
    const k = byKind.get(t.kind) ?? { n: 0, labS: 0 };
    k.n++;
    k.labS += t.labS;
    byKind.set(t.kind, k);
  }
  const kinds = [...byKind].sort((a, b) => b[1].labS - a[1].labS);
  console.log(
    JSON.stringify({
      benchmark: 'standard-fat',
      modules: 16,
      tasks: r.tasks.length,
      outcome: r.outcome,
      states,
      wallS: Number(r.wallS.toFixed(1)),
      masterCpuS: Number(masterCpuS.toFixed(1)),
      labCpuS: inProcess ? null : Number(labCpuS.toFixed(1)),
      wallToCpu: Number((r.wallS / (masterCpuS + labCpuS)).toFixed(2)),
      masterPeakRssMB: mb(process.resourceUsage().maxRSS * 1024),
      labPeakRssMB: r.labUsage ? Number(r.labUsage.peakRssMB.toFixed(1)) : null,
      masterHeapAfterGcMB: heap,
      masterPeakRiseMBByKind: Object.fromEntries(
        [...peakRise]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([k, kb]) => [k, mb(kb * 1024)]),
      ),
      heapSlopeLast500MBper100Tasks: last500.length >= 2 ? Number((slope(last500) * 100).toFixed(2)) : null,
      labDays: Number((r.totalLabS / 86400).toFixed(2)),
      estimateDays: Number((r.totalEstimateS / 86400).toFixed(2)),
      labToWallRatio: Math.round(r.totalLabS / r.wallS),
      longestKindsLabHours: Object.fromEntries(kinds.slice(0, 6).map(([k, v]) => [`${k} (${v.n})`, Number((v.labS / 3600).toFixed(1))])),
      scaledParameters: SCALED,
      note: `fat master --dry-run of the standard schedule (the original generator's, 1114 tasks${maxTasks ? `; here its first ${maxTasks}` : ''}), the simulated lab on virtual time ${inProcess ? 'in the same process' : 'in a process of its own (its CPU and memory are the lab* figures)'}; wallToCpu is wall time over the CPU time of both; event counts scaled down as listed ([used, original])`,
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(r.home, { recursive: true, force: true });
}

await main();

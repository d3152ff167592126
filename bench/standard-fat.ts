/**
 * The whole standard FAT, the real schedule (`fat schedule create --template standard`, which is
 * the original create_fat_config.py output section for section: 1114 tasks over room temperature,
 * cool-down, -40 °C, -20 °C, the room-temperature pause, the second cool-down and -40 °C phase and
 * the warm-up; test/fat/schedule.test.ts compares it with the generator's file) for 16 simulated
 * D-Eggs, run by the real engine with `fat master --dry-run` (the simulated lab on virtual time,
 * prompts answered at once). The simulator runs at full speed; only the event counts are scaled
 * down, because the original's counts are a few hundred million simulated waveforms (hours of CPU
 * on a 2-core machine). Each scaled parameter is printed next to the original's value.
 *
 * Reported: wall time, CPU time of the process and wall/CPU (both from before the lab starts), lab
 * time (days), lab/wall, the number of tasks per final state, the slowest task kinds, and the peak
 * memory of the process (master and simulated lab together).
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

async function main() {
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
  fs.writeFileSync(file, lines.join('\n'));

  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const r = await dryRun(file, { seed: 5 });
  const wallWithStartS = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
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
      cpuS: Number(cpuS.toFixed(1)),
      wallToCpu: Number((wallWithStartS / cpuS).toFixed(2)),
      labDays: Number((r.totalLabS / 86400).toFixed(2)),
      estimateDays: Number((r.totalEstimateS / 86400).toFixed(2)),
      labToWallRatio: Math.round(r.totalLabS / r.wallS),
      peakRssMB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
      longestKindsLabHours: Object.fromEntries(kinds.slice(0, 6).map(([k, v]) => [`${k} (${v.n})`, Number((v.labS / 3600).toFixed(1))])),
      scaledParameters: SCALED,
      note: "fat master --dry-run of the standard schedule (the original generator's, 1114 tasks), simulated lab on virtual time in the same process; event counts scaled down as listed ([used, original])",
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(r.home, { recursive: true, force: true });
}

await main();

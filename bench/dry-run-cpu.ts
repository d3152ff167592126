/**
 * Wall time against CPU time of `fat master --dry-run` on the example schedule (16 simulated
 * D-Eggs, the simulated lab on virtual time in the same process, event counts scaled down as in
 * bench/standard-fat.ts). On virtual time nothing should wait on the wall clock, so the wall time
 * should be close to the CPU time (the target: wall at most 1.2x CPU); what is above it is time the
 * process slept on wall-clock timers (or waited for a busy machine).
 *
 * Reported: wall seconds, CPU seconds (user + system of this process), their ratio, lab hours,
 * and two figures that tell waiting from a busy machine: the seconds the event loop sat idle (in
 * its poll for timers and I/O: a wall-clock wait shows up here, a machine whose cores other jobs
 * hold does not), and the reference: wall/CPU of a pure CPU loop measured in the same run just
 * before and after (what the machine's load alone makes of 1.0).
 * `--template standard` runs the whole standard schedule instead (takes most of an hour).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scaledSchedule } from './lib/scaled-schedule.js';

/** the busy loop's result, kept so the loop is not optimised away */
let sink = 0;

/** wall/CPU of `cpuMs` of pure computation: 1.0 on an idle core, more when other jobs hold the cores */
function busyLoopWallToCpu(cpuMs = 1000): number {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (;;) {
    for (let i = 0; i < 1e5; i++) sink = (sink * 1103515245 + 12345) % 2147483648;
    const c = process.cpuUsage(c0);
    const usedMs = (c.user + c.system) / 1000;
    if (usedMs >= cpuMs) return Number(((performance.now() - w0) / usedMs).toFixed(2));
  }
}

async function main() {
  const template = process.argv.includes('--template') ? process.argv[process.argv.indexOf('--template') + 1] : 'example';
  if (template !== 'example' && template !== 'standard') throw new Error(`--template must be example or standard, got ${template}`);
  const { dryRun } = await import('../src/engine/dry-run.js');
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-dry-cpu-'));
  const file = path.join(dir, `${template}.ini`);
  const runFile = path.join(dir, 'run_00001.json');
  fs.writeFileSync(runFile, '{}');
  fs.writeFileSync(file, scaledSchedule(scheduleTemplate(template, runFile)));

  const refBefore = busyLoopWallToCpu();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const wall0 = performance.now();
  const r = await dryRun(file, { seed: 5 });
  const wallS = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const loopIdleS = performance.eventLoopUtilization(elu0).idle / 1000;
  const refAfter = busyLoopWallToCpu();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const states: Record<string, number> = {};
  for (const t of r.tasks) states[t.state] = (states[t.state] ?? 0) + 1;
  console.log(
    JSON.stringify({
      benchmark: 'dry-run-cpu',
      template,
      tasks: r.tasks.length,
      states,
      outcome: r.outcome,
      wallS: Number(wallS.toFixed(1)),
      cpuS: Number(cpuS.toFixed(1)),
      wallToCpu: Number((wallS / cpuS).toFixed(2)),
      loopIdleS: Number(loopIdleS.toFixed(1)),
      reference: { busyLoopWallToCpu: [refBefore, refAfter] },
      labHours: Number((r.totalLabS / 3600).toFixed(2)),
      loadAvg: Number(os.loadavg()[0].toFixed(1)),
      note: 'fat master --dry-run (simulated lab on virtual time, same process); wall and CPU from the start of the dry run (lab start-up included) to its end; target wallToCpu <= 1.2; loopIdleS: event loop idle (waiting on timers or I/O); reference: wall/CPU of a pure CPU loop just before and after (the machine load alone)',
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(r.home, { recursive: true, force: true });
}

await main();

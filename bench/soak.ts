/**
 * Soak: the monitoring loop of the real schedule (the standard template's online_mon, quick
 * monitoring, reboot, slowmon, gain-scan monitoring and status check, as in its cold phases)
 * repeated for a simulated week, run by the compiled `fat master` as a process of its own against
 * the simulated lab in another process on virtual time (bench/lib/virtual-station.ts). Every 100
 * tasks the master's heap after a full GC is read through its inspector (HeapProfiler.
 * collectGarbage, Runtime.getHeapUsage), three times at successive task counts, the least kept
 * (runMaster says why); printed with the slope over the last 500 tasks and the master's peak RSS.
 *
 * Crash: unless --no-kill, the master is killed with SIGKILL once `--kill-at` (default 40%) of the
 * tasks are done, and `fat master --recover` finishes the run; the bench then checks in the store
 * that every task is done and has exactly one successful attempt, and exits non-zero otherwise.
 *
 *   tsx bench/soak.ts [--days 7] [--kill-at 0.4 | --no-kill]
 */
import fs from 'node:fs';
import path from 'node:path';
import { heapSlope, runMaster, virtualStation, type MasterRun } from './lib/virtual-station.js';

/** The loop, by task kind, as the standard template writes it around its first reboot. */
const LOOP = ['online_mon', 'trigger_remote_wrapper', 'bootmon', 'slowmon', 'trigger_remote_wrapper', 'status_check'];
/** event counts of the loop's measurements: [here, the original's] (the simulator's CPU is not what is soaked) */
const SCALED: Record<string, Record<string, [number, number]>> = {
  slowmon: { n_gain_events: [200, 30000], n_check_events: [200, 20000] },
};

function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number, got ${process.argv[i + 1]}`);
  return v;
}

interface Section {
  name: string;
  kind: string;
  body: string[];
}

function sections(ini: string): Section[] {
  const out: Section[] = [];
  for (const line of ini.split('\n')) {
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.push({ name: head[1], kind: '', body: [] });
    else if (out.length) {
      const cur = out[out.length - 1];
      const kind = /^task = (\w+)$/.exec(line)?.[1];
      if (kind) cur.kind = kind;
      const key = /^(\w+) = /.exec(line)?.[1];
      if (!(key && SCALED[cur.kind]?.[key])) cur.body.push(line);
      if (kind && SCALED[kind]) for (const [k, [v]] of Object.entries(SCALED[kind])) cur.body.push(`${k} = ${v}`);
    }
  }
  return out;
}

/** the standard template's first reboot loop: the sections around its first `bootmon_N_reboot` */
function monitoringLoop(all: Section[]): Section[] {
  const i = all.findIndex((s) => /^bootmon_\d+_reboot$/.test(s.name));
  const loop = all.slice(i - 2, i + 4);
  if (i < 2 || loop.map((s) => s.kind).join() !== LOOP.join())
    throw new Error(
      `the standard template's monitoring loop is no longer ${LOOP.join(', ')} around its first reboot: update bench/soak.ts`,
    );
  return loop;
}

async function main() {
  const { scheduleTemplate } = await import('../src/fat/schedule/templates.js');
  const days = option('--days', 7);
  const killAt = process.argv.includes('--no-kill') ? undefined : option('--kill-at', 0.4);
  const st = await virtualStation('soak', 7);
  const wall0 = Date.now();
  try {
    const loop = monitoringLoop(sections(scheduleTemplate('standard', st.runFile)));
    const ini = (n: number) =>
      [
        '[constants]',
        `run_file = ${st.runFile}`,
        '',
        ...Array.from({ length: n }, (_, k) => loop.flatMap((s) => [`[${s.name}_soak${k}]`, ...s.body])).flat(),
      ].join('\n');
    // how much lab time one loop takes: its catalogue estimate, from `fat schedule check`
    const one = path.join(st.home, 'loop.ini');
    fs.writeFileSync(one, ini(1));
    const loopS = (JSON.parse(st.fat('schedule', 'check', one, '--json')) as { totalS: number }).totalS;
    const loops = Math.ceil((days * 86400) / loopS);
    const config = path.join(st.home, 'soak.ini');
    fs.writeFileSync(config, ini(loops));
    const total = loops * LOOP.length;
    const killAfter = killAt === undefined ? undefined : Math.round(total * killAt);

    const masters: MasterRun[] = [await runMaster(st, [config], killAfter)];
    if (masters[0].killed) masters.push(await runMaster(st, [config, '--recover']));

    const states = Object.fromEntries(
      st.rows<{ state: string; n: number }>('select state, count(*) as n from tasks group by state').map((t) => [t.state, t.n]),
    );
    const notOnce = st.count("tasks t where (select count(*) from task_attempts a where a.task_id = t.id and a.outcome = 'done') <> 1");
    const span = st.rows<{ start: string; end: string }>('select min(started_at) as start, max(ended_at) as end from tasks')[0];
    const ok = states.done === total && notOnce === 0;
    const last = masters.at(-1)!;
    console.log(
      JSON.stringify({
        benchmark: 'soak',
        tasks: total,
        loops,
        labDays: Number(((Date.parse(span.end) - Date.parse(span.start)) / 86_400_000).toFixed(2)),
        wallS: Math.round((Date.now() - wall0) / 1000),
        states,
        killedAfterTask: killAfter ?? null,
        everyTaskDoneOnce: ok,
        tasksNotDoneExactlyOnce: notOnce,
        masterCpuS: masters.map((m) => Number(m.cpuS.toFixed(1))),
        masterPeakRssMB: masters.map((m) => m.peakRssMB),
        labCpuS: Number(st.lab.usage()?.cpuS.toFixed(1) ?? NaN),
        labPeakRssMB: Number(st.lab.usage()?.peakRssMB.toFixed(1) ?? NaN),
        masterHeapAfterGcMB: masters.map((m) => m.heap),
        // the reference: the master's own heap at its first sample, against which the slope is read
        heapSlopeLast500MBper100Tasks: heapSlope(last.heap.filter((h) => h.task > total - 500)),
        scaledParameters: SCALED,
        note: `the standard template's monitoring loop (${LOOP.join(', ')}) for ${days} lab days (the catalogue's estimate of a loop: ${Math.round(loopS)} s); the compiled fat master and the simulated lab in processes of their own on virtual time; heap after GC read through the master's inspector every 100 tasks (the least of three samples at successive task counts, each listed in samplesMB), one series per master process (the second is the one started with --recover after the SIGKILL)`,
      }),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await st.close();
  }
}

await main();

/**
 * Memory of a long dry run (`fat master --dry-run`: master and simulated lab in one process), for
 * finding what grows. Run with the garbage collector exposed:
 *
 *   node --expose-gc --import tsx bench/lib/dry-run-memory.ts online 300 --every 25 --snap 50,250
 *   node --expose-gc --import tsx bench/lib/dry-run-memory.ts standard --every 50
 *
 * `online N`: a schedule of N online_mon tasks; `standard`: the standard template with the event
 * counts of bench/standard-fat.ts. Every `--every` finished tasks it collects garbage and prints one
 * JSON line (heap after GC, RSS, external memory); at the task counts of `--snap` it writes a heap
 * snapshot into `--out` (compare two with bench/lib/heap-diff.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import Database from 'better-sqlite3';
import { scaledSchedule } from './scaled-schedule.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const MB = (b: number) => Math.round(b / 1e5) / 10;

async function main() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const mode = process.argv[2] ?? 'online';
  const n = Number(process.argv[3] ?? 100);
  const every = Number(arg('every', '25'));
  const snaps = new Set(arg('snap', '').split(',').filter(Boolean).map(Number));
  const out = arg('out', fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-mem-out-')));
  fs.mkdirSync(out, { recursive: true });
  // the dry run makes its home under os.tmpdir(): a folder of our own, so the poller finds it
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-mem-'));
  process.env.TMPDIR = tmp;

  const { dryRun } = await import('../../src/engine/dry-run.js');
  const { scheduleTemplate } = await import('../../src/fat/schedule/templates.js');
  const file = path.join(tmp, 'schedule.ini');
  const runFile = path.join(tmp, 'run_00001.json');
  fs.writeFileSync(runFile, '{}');
  if (mode === 'online') {
    const lines = ['[constants]', `run_file = ${runFile}`, 'verbose = false'];
    for (let i = 0; i < n; i++) {
      lines.push('', `[online_mon_${i}]`, 'task = online_mon', 'n_repeat = 3', 'hv_status = dry');
      // a lab day between every 50 (a data type holds at most 100 folders a day)
      if (i % 50 === 49) lines.push('', `[wait_time_${i}]`, 'task = wait_time', 'pause = 86400');
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
  } else {
    const lines = scaledSchedule(scheduleTemplate('standard', runFile)).split('\n');
    // --slice A:B: only tasks A..B-1 of the template (the constants kept)
    const slice = arg('slice', '');
    if (slice) {
      const [a, b] = slice.split(':').map(Number);
      const text = lines.join('\n');
      const parts = text.split(/\n(?=\[)/);
      const head = parts.filter((x) => x.startsWith('[constants]') || !x.startsWith('['));
      const tasks = parts.filter((x) => x.startsWith('[') && !x.startsWith('[constants]'));
      fs.writeFileSync(file, [...head, ...tasks.slice(a, b)].join('\n'));
    } else fs.writeFileSync(file, lines.join('\n'));
  }

  const t0 = Date.now();
  let db: Database.Database | undefined;
  let next = every;
  let busy = false;
  // the highest RSS since the last line (transient buffers show here, not in the heap after GC)
  let windowRss = 0;
  // the highest RSS and heap (before GC) seen while each task kind ran
  let sinceRss = 0;
  let sinceHeap = 0;
  const perKind = new Map<string, { rssMB: number; heapMB: number; idx: number }>();
  // --trace: every new peak of RSS by 50 MB, with the number of tasks done then
  const trace = process.argv.includes('--trace');
  let peak = 0;
  let lastDone = 0;
  const fast = setInterval(() => {
    const rss = process.memoryUsage.rss();
    windowRss = Math.max(windowRss, rss);
    sinceRss = Math.max(sinceRss, rss);
    sinceHeap = Math.max(sinceHeap, v8.getHeapStatistics().used_heap_size);
    if (trace && rss > peak + 50e6) {
      peak = rss;
      const m = process.memoryUsage();
      console.error(
        `peak rss ${MB(rss)} MB heap ${MB(m.heapUsed)} external ${MB(m.external)} at ${Date.now() - t0} ms, ${lastDone} tasks done`,
      );
    }
  }, 20);
  const sample = (done: number) => {
    const maxRssMB = MB(Math.max(windowRss, process.memoryUsage.rss()));
    windowRss = 0;
    gc();
    const m = process.memoryUsage();
    console.log(
      JSON.stringify({
        tasks: done,
        wallS: Math.round((Date.now() - t0) / 1000),
        heapAfterGcMB: MB(m.heapUsed),
        rssMB: MB(m.rss),
        windowMaxRssMB: maxRssMB,
        externalMB: MB(m.external),
        arrayBuffersMB: MB(m.arrayBuffers),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  };
  const poll = setInterval(() => {
    if (busy) return;
    busy = true;
    try {
      if (!db) {
        const home = fs.readdirSync(tmp).find((d) => d.startsWith('icefat-dry-run-'));
        const f = home && path.join(tmp, home, 'fat.db');
        if (!f || !fs.existsSync(f)) return;
        db = new Database(f, { readonly: true, fileMustExist: true });
      }
      const done = (db.prepare('select count(*) as c from tasks where ended_at is not null').get() as { c: number }).c;
      lastDone = done;
      const running = db.prepare("select idx, kind from tasks where state = 'running'").get() as { idx: number; kind: string } | undefined;
      if (running) {
        const k = perKind.get(running.kind) ?? { rssMB: 0, heapMB: 0, idx: -1 };
        if (MB(sinceHeap) > k.heapMB)
          perKind.set(running.kind, { rssMB: Math.max(k.rssMB, MB(sinceRss)), heapMB: MB(sinceHeap), idx: running.idx });
        else k.rssMB = Math.max(k.rssMB, MB(sinceRss));
      }
      sinceRss = 0;
      sinceHeap = 0;
      if (done >= next) {
        sample(done);
        for (const s of [...snaps].filter((x) => x <= done)) {
          snaps.delete(s);
          const f = path.join(out, `heap-${done}.heapsnapshot`);
          v8.writeHeapSnapshot(f);
          console.error(`snapshot ${f}`);
        }
        next = (Math.floor(done / every) + 1) * every;
      }
    } catch (e) {
      // the store may be busy or not yet migrated: try again at the next tick
      if (!String(e).includes('no such table')) console.error(String(e));
    } finally {
      busy = false;
    }
  }, 500);
  sample(0);
  const r = await dryRun(file, { seed: 5 });
  clearInterval(poll);
  clearInterval(fast);
  db?.close();
  const states: Record<string, number> = {};
  for (const t of r.tasks) states[t.state] = (states[t.state] ?? 0) + 1;
  sample(r.tasks.length);
  console.log(JSON.stringify({ mode, tasks: r.tasks.length, states, outcome: r.outcome, wallS: Math.round(r.wallS) }));
  const kinds = [...perKind].sort((a, b) => b[1].heapMB - a[1].heapMB);
  console.log(JSON.stringify({ peaksWhileRunning: Object.fromEntries(kinds) }));
  fs.rmSync(r.home, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
}

await main();

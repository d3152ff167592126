/**
 * Memory of the real `fat` process during `fat master CONFIG --dry-run`, preloaded (plain
 * JavaScript, so nothing but the bundle is loaded: under tsx, importing h5wasm alone costs ~600 MB
 * of RSS that the compiled `fat` never pays):
 *
 *   TMPDIR=$(mktemp -d) MEM_EVERY=50 node --expose-gc --import ./scripts/memory-probe.js bin/fat.js master X.ini --dry-run
 *
 * Every MEM_EVERY finished tasks (read from the dry run's store under $TMPDIR) it collects
 * garbage and prints one JSON line to stderr: heap after GC, RSS, the highest RSS since the line
 * before, the process's peak RSS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const Database = createRequire(path.join(process.cwd(), 'package.json'))('better-sqlite3');
const every = Number(process.env.MEM_EVERY ?? 50);
const tmp = process.env.TMPDIR ?? '/tmp';
const MB = (b) => Math.round(b / 1e5) / 10;
const t0 = Date.now();
let db;
let next = every;
let windowRss = 0;

function line(done) {
  const maxRss = Math.max(windowRss, process.memoryUsage.rss());
  windowRss = 0;
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stderr.write(
    JSON.stringify({
      tasks: done,
      wallS: Math.round((Date.now() - t0) / 1000),
      heapAfterGcMB: MB(m.heapUsed),
      rssMB: MB(m.rss),
      windowMaxRssMB: MB(maxRss),
      externalMB: MB(m.external),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
}

globalThis.setInterval(() => (windowRss = Math.max(windowRss, process.memoryUsage.rss())), 20).unref();
globalThis.setInterval(() => {
  try {
    if (!db) {
      const home = fs.readdirSync(tmp).find((d) => d.startsWith('icefat-dry-run-'));
      const f = home && path.join(tmp, home, 'fat.db');
      if (!f || !fs.existsSync(f)) return;
      db = new Database(f, { readonly: true, fileMustExist: true });
    }
    const done = db.prepare('select count(*) as c from tasks where ended_at is not null').get().c;
    if (done >= next) {
      line(done);
      next = (Math.floor(done / every) + 1) * every;
    }
  } catch (e) {
    if (!String(e).includes('no such table')) process.stderr.write(`memory-probe: ${String(e)}\n`);
  }
}, 500).unref();
process.on('exit', () => line(-1));

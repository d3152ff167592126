import type { Context, Hono } from 'hono';
import type { Workspace } from '../station/workspace.js';
import { environment } from '../views/environment.js';
import { moduleGrid } from '../views/module-grid.js';
import { runDetail, runList } from '../views/run-overview.js';
import { findRun } from '../station/runs.js';
import { runResults, runVerdicts } from '../records/verdicts.js';
import { moduleHistory, type HistoryPage } from '../report/module-history.js';
import { currentGoalposts, runInfo } from '../report/report-data.js';
import { runSummaryHtml } from '../report/run-summary.js';
import { speHistograms } from '../report/spe-histograms.js';
import type { AuthEnv } from './auth.js';
import type { Environment, ModuleHistory, ModulesAnswer, RunDetail, RunsAnswer, SpeAnswer } from '../records/api-types.js';

/**
 * What the dashboard reads (open, like /api/status): the module grid, one module across runs, the
 * environment, the runs, and a run's summary report as HTML. A run that does not exist is a 404
 * with the reason.
 */
const RUN = /^(?:run_)?\d{1,9}$/;

function badRun(c: Context, raw: string) {
  return c.json({ error: `"${raw}" is not a run number (e.g. 12 or run_00012)` }, 400);
}

async function orNotFound<T>(c: Context, f: () => Promise<T>) {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Error && /does not exist|is neither/.test(e.message)) return c.json({ error: e.message }, 404);
    throw e;
  }
}

export function mountReadApi(app: Hono<AuthEnv>, ws: Workspace): void {
  app.get('/api/modules', async (c) => {
    const run = c.req.query('run');
    if (run !== undefined && !RUN.test(run)) return badRun(c, run);
    return orNotFound(c, async () => {
      const g = await moduleGrid(ws, run);
      return c.json((g ?? { run: null, modules: [] }) satisfies ModulesAnswer);
    });
  });

  app.get('/api/modules/:serial', async (c) => {
    const serial = c.req.param('serial');
    const page: HistoryPage = {};
    for (const key of ['limit', 'offset'] as const) {
      const raw = c.req.query(key);
      if (raw === undefined) continue;
      if (!/^\d{1,6}$/.test(raw) || (key === 'limit' && raw === '0'))
        return c.json({ error: `?${key}=${raw}: expected a whole number of runs${key === 'limit' ? ' from 1' : ''}` }, 400);
      page[key] = Number(raw);
    }
    const h = await moduleHistory(ws, serial, page);
    if (!h) return c.json({ error: `D-Egg ${serial} is in no run of station ${ws.station.name}` }, 404);
    return c.json(h satisfies ModuleHistory);
  });

  app.get('/api/modules/:serial/spe', async (c) => {
    const serial = c.req.param('serial');
    const m = await ws.db
      .selectFrom('modules')
      .innerJoin('runs', 'runs.id', 'modules.run_id')
      .select(['modules.json_file', 'runs.run_number'])
      .where('runs.station', '=', ws.station.name)
      .where('modules.degg_serial', '=', serial)
      .orderBy('runs.run_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!m) return c.json({ error: `D-Egg ${serial} is in no run of station ${ws.station.name}` }, 404);
    return c.json({ serial, run: m.run_number, ...(await speHistograms(ws, m.json_file)) } satisfies SpeAnswer);
  });

  app.get('/api/environment', async (c) => c.json((await environment(ws)) satisfies Environment));

  app.get('/api/runs', async (c) => c.json({ station: ws.station.name, runs: await runList(ws) } satisfies RunsAnswer));

  app.get('/api/runs/:number', async (c) => {
    const n = c.req.param('number');
    if (!RUN.test(n)) return badRun(c, n);
    return orNotFound(c, async () => c.json((await runDetail(ws, n)) satisfies RunDetail));
  });

  app.get('/api/runs/:number/report', async (c) => {
    const n = c.req.param('number');
    if (!RUN.test(n)) return badRun(c, n);
    return orNotFound(c, async () => {
      const run = await findRun(ws, n, 'shown');
      const [modules, results] = await Promise.all([runVerdicts(ws, run.id), runResults(ws, run.id)]);
      const html = runSummaryHtml({
        run: runInfo(ws, run),
        modules,
        results,
        goalposts: currentGoalposts(ws),
        generatedAt: new Date(ws.clock.now()).toISOString(),
      });
      return c.html(html);
    });
  });
}

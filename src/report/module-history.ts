import type { Workspace } from '../station/workspace.js';
import { shownRun } from '../station/runs.js';
import { numberIn } from '../views/module-grid.js';
import type { ModuleHistory, ResultRecord } from '../records/api-types.js';
import { moduleData, runInfo } from './report-data.js';
import { headline, isHeadline } from '../views/headlines.js';

const DARK_RATE = headline('darkRate');

/**
 * One D-Egg across every run of the station and the runs imported from the original system
 * (GET /api/modules/:serial): per run what a report shows (identity, results, verdict, gain scan
 * curves), and the series its plots need: dark rate against mainboard temperature, linearity
 * points, and the sensor readings over time. A page (`?limit=N&offset=K`) holds `limit` runs from
 * the `offset`-th newest, with their series; `page.total` says how many runs there are.
 */
function linearityPoints(r: ResultRecord): Array<{ expectedPe: number; observedPe: number }> {
  const pts = r.detail.points;
  if (!Array.isArray(pts)) return [];
  return pts
    .map((p) => p as Record<string, unknown>)
    .filter((p) => typeof p.expectedPe === 'number' && typeof p.observedPe === 'number')
    .map((p) => ({ expectedPe: p.expectedPe as number, observedPe: p.observedPe as number }));
}

/** A page of a history: `limit` runs from the `offset`-th newest (all of them when no limit). */
export interface HistoryPage {
  offset?: number;
  limit?: number;
}

export async function moduleHistory(ws: Workspace, serial: string, page: HistoryPage = {}): Promise<ModuleHistory | null> {
  // the station's runs and the original's imported ones (runs.ts, scope 'shown'), newest first
  const runs = await ws.db
    .selectFrom('runs')
    .innerJoin('modules', 'modules.run_id', 'runs.id')
    .select(['runs.id', 'runs.station', 'runs.run_number', 'runs.comment', 'runs.date', 'runs.operator'])
    .where(shownRun(ws))
    .where('modules.degg_serial', '=', serial)
    .orderBy('runs.date', 'desc')
    .orderBy('runs.run_number', 'desc')
    .execute();
  if (!runs.length) return null;
  const offset = page.offset ?? 0;
  const shown = runs.slice(offset, page.limit === undefined ? undefined : offset + page.limit);
  const out: ModuleHistory = {
    serial,
    page: { offset, limit: page.limit ?? null, total: runs.length },
    runs: [],
    darkVsTemperature: [],
    linearity: [],
    sensors: [],
  };
  for (const run of shown) {
    const data = await moduleData(ws, runInfo(ws, run), serial);
    if (!data) continue;
    out.runs.push(data);
    for (const r of data.results) {
      const t = numberIn(r.detail, 'temperatureC');
      if (r.pmt && r.value !== null && t !== undefined && isHeadline(DARK_RATE, r.name))
        out.darkVsTemperature.push({ run: run.run_number, pmt: r.pmt, temperatureC: t, rateHz: r.value, at: r.createdAt });
      if (r.pmt && r.name.startsWith('linearity.')) {
        const points = linearityPoints(r);
        if (points.length) out.linearity.push({ run: run.run_number, pmt: r.pmt, at: r.createdAt, points });
      }
      if (t !== undefined) out.sensors.push({ run: run.run_number, at: r.createdAt, temperatureC: t });
      if (r.name === 'monitor.pressure' && r.value !== null)
        out.sensors.push({ run: run.run_number, at: r.createdAt, pressureHpa: r.value });
    }
  }
  out.sensors.sort((a, b) => a.at.localeCompare(b.at));
  return out;
}

/**
 * The module-history query of the module page: every result of one D-Egg across all runs (and
 * stations), oldest run first, with the run it belongs to and its JSON columns parsed, as
 * `fat results --module` reads a run's rows (src/fat/verdicts.ts runResults).
 */
import type { Workspace } from '../../src/fat/home.js';
import { parseJson } from '../../src/store/open.js';

export async function moduleHistory(ws: Pick<Workspace, 'db'>, serial: string) {
  const rows = await ws.db
    .selectFrom('results')
    .innerJoin('runs', 'runs.id', 'results.run_id')
    .selectAll('results')
    .select(['runs.run_number', 'runs.station as run_station', 'runs.date as run_date'])
    .where('results.degg_serial', '=', serial)
    .orderBy('runs.date')
    .orderBy('results.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    detail: parseJson<Record<string, unknown>>(r.detail, `results.detail of result ${r.id}`),
    provenance: parseJson<Record<string, unknown>>(r.provenance, `results.provenance of result ${r.id}`),
  }));
}

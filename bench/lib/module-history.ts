/**
 * The module-history query of the module page: every result of one D-Egg across all runs (and
 * stations), oldest run first, with the run it belongs to and its JSON columns parsed, as
 * `fat results --module` reads a run's rows (src/fat/verdicts.ts runResults).
 */
import type { Db } from '../../src/store/open.js';
import { parseJson } from '../../src/store/open.js';

export function moduleHistoryQuery(db: Db, serial: string) {
  return db
    .selectFrom('results')
    .innerJoin('runs', 'runs.id', 'results.run_id')
    .selectAll('results')
    .select(['runs.run_number', 'runs.station as run_station', 'runs.date as run_date'])
    .where('results.degg_serial', '=', serial)
    .orderBy('runs.date')
    .orderBy('results.id');
}

export async function moduleHistory(db: Db, serial: string) {
  const rows = await moduleHistoryQuery(db, serial).execute();
  return rows.map((r) => ({
    ...r,
    detail: parseJson<Record<string, unknown>>(r.detail, `results.detail of result ${r.id}`),
    provenance: parseJson<Record<string, unknown>>(r.provenance, `results.provenance of result ${r.id}`),
  }));
}

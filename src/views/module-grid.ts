import type { Workspace } from '../station/workspace.js';
import { findRun, latestRun } from '../station/runs.js';
import type { ModuleTile, ResultRecord } from '../records/api-types.js';
import { verdictOfRows } from '../records/verdicts.js';
import { detailOf, isSample, mergeSamples, sampleRows } from '../records/samples.js';
import { latestHeadlines } from './headlines.js';

/**
 * The dashboard's grid of a run's D-Eggs (GET /api/modules): per module its port, state, verdict,
 * the latest value of each headline quantity per PMT (src/views/headlines.ts) and the latest
 * mainboard temperature the results recorded. A quantity never measured is absent, not zero.
 */
export function numberIn(detail: Record<string, unknown>, key: string): number | undefined {
  const v = detail[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** What a tile needs of a result: no provenance, and the detail only where it has a temperature. */
type TileRow = Pick<ResultRecord, 'id' | 'pmt' | 'name' | 'value' | 'verdict' | 'reason' | 'createdAt'> & { temperatureC?: number };

function tileOf(m: { port: number; degg_serial: string; state: string; state_reason: string | null }, rows: TileRow[]): ModuleTile {
  const v = verdictOfRows(rows);
  let temperatureC: number | null = null;
  let temperatureAt: string | null = null;
  for (const r of rows) {
    if (r.temperatureC !== undefined) {
      temperatureC = r.temperatureC;
      temperatureAt = r.createdAt;
    }
  }
  return {
    port: m.port,
    serial: m.degg_serial,
    state: m.state,
    stateReason: m.state_reason,
    verdict: v.verdict,
    reasons: v.reasons,
    headlines: latestHeadlines(rows),
    temperatureC,
    temperatureAt,
  };
}

/** The tiles of a run (the latest when runArg is undefined); null when there is no run yet. */
export async function moduleGrid(ws: Workspace, runArg?: string): Promise<{ run: number; modules: ModuleTile[] } | null> {
  const run = runArg === undefined ? await latestRun(ws, 'shown') : await findRun(ws, runArg, 'shown');
  if (!run) return null;
  const modules = await ws.db
    .selectFrom('modules')
    .select(['port', 'degg_serial', 'state', 'state_reason'])
    .where('run_id', '=', run.id)
    .orderBy('port')
    .execute();
  // only the columns a tile needs (bench/api.ts: parsing every row's provenance was most of the time)
  const results = await ws.db
    .selectFrom('results')
    .select(['id', 'degg_serial', 'pmt', 'name', 'value', 'verdict', 'reason', 'created_at', 'detail'])
    .where('run_id', '=', run.id)
    .orderBy('id')
    .execute();
  const rows = mergeSamples(results, await sampleRows(ws.db, { runId: run.id }));
  const bySerial = new Map<string, TileRow[]>();
  for (const r of rows) {
    const row: TileRow = {
      id: Number(r.id),
      pmt: r.pmt,
      name: r.name,
      value: r.value,
      verdict: r.verdict,
      reason: r.reason,
      createdAt: r.created_at,
    };
    if (isSample(r) ? 'temperatureC' in r.parsedDetail : r.detail.includes('temperatureC'))
      row.temperatureC = numberIn(detailOf(r), 'temperatureC');
    const list = bySerial.get(r.degg_serial);
    if (list) list.push(row);
    else bySerial.set(r.degg_serial, [row]);
  }
  return { run: run.run_number, modules: modules.map((m) => tileOf(m, bySerial.get(m.degg_serial) ?? [])) };
}

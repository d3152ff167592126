import type { Workspace } from './home.js';
import { findRun, latestRun } from './runs.js';
import { latestPerQuantity, runResults, verdictOfRows, type ResultRecord } from './verdicts.js';

/**
 * The dashboard's grid of a run's D-Eggs (GET /api/modules): per module its port, state, verdict,
 * and the latest HV at gain 1e7 and dark rate of each PMT and mainboard temperature the results
 * recorded. A quantity never measured is absent, not zero.
 */
export interface ModuleTile {
  port: number;
  serial: string;
  state: string;
  stateReason: string | null;
  verdict: string;
  reasons: string[];
  hv1e7Volts: Partial<Record<string, number>>;
  darkRateHz: Partial<Record<string, number>>;
  temperatureC: number | null;
  temperatureAt: string | null;
}

export function numberIn(detail: Record<string, unknown>, key: string): number | undefined {
  const v = detail[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function tileOf(m: { port: number; degg_serial: string; state: string; state_reason: string | null }, rows: ResultRecord[]): ModuleTile {
  const v = verdictOfRows(rows);
  const latest = latestPerQuantity(rows);
  const hv1e7Volts: Partial<Record<string, number>> = {};
  const darkRateHz: Partial<Record<string, number>> = {};
  for (const r of latest) {
    if (r.value === null || !r.pmt) continue;
    if (r.name === 'gain.hv1e7') hv1e7Volts[r.pmt] = r.value;
  }
  // the latest dark rate of each PMT, whichever temperature band it was judged in
  for (const r of rows) if (r.value !== null && r.pmt && /^darkrate(_adc)?\./.test(r.name)) darkRateHz[r.pmt] = r.value;
  let temperatureC: number | null = null;
  let temperatureAt: string | null = null;
  for (const r of rows) {
    const t = numberIn(r.detail, 'temperatureC');
    if (t !== undefined) {
      temperatureC = t;
      temperatureAt = r.createdAt;
    }
  }
  return {
    port: m.port,
    serial: m.degg_serial,
    state: m.state,
    stateReason: m.state_reason,
    verdict: rows.length ? v.verdict : 'none',
    reasons: rows.length ? v.reasons : ['nothing measured yet'],
    hv1e7Volts,
    darkRateHz,
    temperatureC,
    temperatureAt,
  };
}

/** The tiles of a run (the latest when runArg is undefined); null when there is no run yet. */
export async function moduleGrid(ws: Workspace, runArg?: string): Promise<{ run: number; modules: ModuleTile[] } | null> {
  const run = runArg === undefined ? await latestRun(ws) : await findRun(ws, runArg);
  if (!run) return null;
  const modules = await ws.db
    .selectFrom('modules')
    .select(['port', 'degg_serial', 'state', 'state_reason'])
    .where('run_id', '=', run.id)
    .orderBy('port')
    .execute();
  const rows = await runResults(ws, run.id);
  return { run: run.run_number, modules: modules.map((m) => tileOf(m, rows.filter((r) => r.serial === m.degg_serial))) };
}

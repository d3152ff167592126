import { peekDoc, type DocStore } from '../records/json-docs.js';
import type { Workspace } from '../station/workspace.js';
import { goalpostsFile, loadGoalposts, type Goalposts } from '../records/goalposts-file.js';
import { runResults, verdictOfRows } from '../records/verdicts.js';
import type { GainCurve, ModuleData, RunInfo } from '../records/api-types.js';

/**
 * What a report shows of one module, read from the store (modules and results tables), the
 * goalposts file and the module's D-Egg JSON file (the gain scan points). Pure data: the HTML is
 * made in module-report.ts.
 */
export const PMTS = ['LowerPmt', 'UpperPmt'] as const;

export function runInfo(
  ws: Workspace,
  run: { id: number; run_number: number; comment: string; date: string; operator: string; station?: string },
): RunInfo {
  return {
    id: run.id,
    runNumber: run.run_number,
    comment: run.comment,
    date: run.date,
    operator: run.operator,
    station: run.station ?? ws.station.name,
  };
}

export function currentGoalposts(ws: Workspace): Goalposts {
  return loadGoalposts(goalpostsFile(ws.home.dir));
}

/** The latest GainMeasurement_NN entry of each PMT that has scan points, as a chart curve. */
export async function gainCurves(
  ws: DocStore,
  jsonFile: string,
  pmtSerials: Partial<Record<string, string>>,
): Promise<{ curves: GainCurve[]; notes: string[] }> {
  const curves: GainCurve[] = [];
  const notes: string[] = [];
  let doc: Record<string, unknown> | undefined;
  try {
    doc = await peekDoc(ws, jsonFile);
  } catch (e) {
    // a file the original wrote may hold what JSON does not (NaN): the report goes on without the plot
    return { curves, notes: [`no gain plot: ${(e as Error).message}`] };
  }
  if (!doc) return { curves, notes: [`no gain plot: the D-Egg file ${jsonFile} is missing`] };
  for (const pmt of PMTS) {
    const sec = doc[pmt] as Record<string, unknown> | undefined;
    const keys = Object.keys(sec ?? {})
      .filter((k) => /^GainMeasurement_\d\d$/.test(k))
      .sort();
    const withPoints = keys.filter((k) => Array.isArray((sec![k] as { points?: unknown }).points));
    if (!withPoints.length) {
      notes.push(`${pmt}: no gain scan with points in ${jsonFile}`);
      continue;
    }
    const key = withPoints[withPoints.length - 1];
    const e = sec![key] as { points: Array<Record<string, unknown>>; GainFitNorm?: unknown; GainFitExp?: unknown; HV1e7Gain?: unknown };
    const points = e.points
      .map((p) => ({ hv: Number(p.hv), gain: Number(p.gain), gainError: Number(p.gainError) }))
      .filter((p) => Number.isFinite(p.hv) && p.gain > 0);
    const norm = Number(e.GainFitNorm);
    const exp = Number(e.GainFitExp);
    const hv = Number(e.HV1e7Gain);
    curves.push({
      label: `${pmt}${pmtSerials[pmt] ? ` ${pmtSerials[pmt]}` : ''}`,
      entry: key,
      points,
      ...(norm > 0 && exp > 0 ? { fit: { norm, exp } } : {}),
      ...(hv > 0 ? { hv1e7: hv } : {}),
    });
  }
  return { curves, notes };
}

/** Everything about one module of a run; undefined when the run has no such module. */
export async function moduleData(ws: Workspace, run: RunInfo, serial: string): Promise<ModuleData | undefined> {
  const m = await ws.db.selectFrom('modules').selectAll().where('run_id', '=', run.id).where('degg_serial', '=', serial).executeTakeFirst();
  if (!m) return undefined;
  let registry: Record<string, unknown>;
  try {
    registry = JSON.parse(m.registry) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`modules.registry of ${serial} in run ${run.runNumber} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const results = await runResults(ws, run.id, serial);
  const v = verdictOfRows(results);
  const pmtSerial = (k: string) => ((registry[k] as { serial?: string } | undefined)?.serial ?? '') || undefined;
  const g = await gainCurves(ws, m.json_file, { LowerPmt: pmtSerial('lower_pmt'), UpperPmt: pmtSerial('upper_pmt') });
  return {
    run,
    port: m.port,
    wirePair: m.wire_pair,
    serial: m.degg_serial,
    icmId: m.icm_id,
    fpgaVersion: m.fpga_version,
    softwareVersion: m.software_version,
    flashId: m.flash_id,
    mainboardId: m.mainboard_id,
    registry,
    jsonFile: m.json_file,
    state: m.state,
    stateReason: m.state_reason,
    verdict: v.verdict,
    reasons: v.reasons,
    results,
    gain: g.curves,
    gainNotes: g.notes,
  };
}

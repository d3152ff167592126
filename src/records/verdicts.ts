import { moduleVerdict, type NamedJudgement, type Verdict } from '../analysis/goalposts.js';
import { parseJson } from '../store/open.js';
import type { ModuleReport, ModuleVerdict, Provenance, ResultRecord } from './api-types.js';
import type { Workspace } from '../station/workspace.js';
import { detailOf, mergeSamples, sampleRows } from './samples.js';

/**
 * A module's verdict for a run: the worst of its latest result per (PMT, quantity), so a re-run or
 * a re-analysis replaces what it measured again. Info rows (not measured here, or quantities
 * without limits) do not count against a module; a module with nothing judged (no results, or info
 * only: a run imported from the original before its analysis) is "not judged", never a failure.
 */

/**
 * The latest row per (PMT, quantity) of one module's rows, given in the order they were committed
 * (results by id, monitoring samples among them: records/samples.ts), in that order.
 */
export function latestPerQuantity<T extends { pmt: string | null; name: string }>(rows: readonly T[]): T[] {
  const by = new Map<string, number>();
  rows.forEach((r, i) => by.set(`${r.pmt ?? ''}\u0000${r.name}`, i));
  return [...by.values()].sort((a, b) => a - b).map((i) => rows[i]);
}

/** The verdict of one module from all its rows in a run. */
export function verdictOfRows(rows: readonly Pick<ResultRecord, 'id' | 'pmt' | 'name' | 'verdict' | 'reason'>[]): {
  verdict: ModuleVerdict;
  reasons: string[];
  judged: number;
  info: number;
} {
  const latest = latestPerQuantity(rows);
  const judged: NamedJudgement[] = [];
  let info = 0;
  for (const r of latest) {
    if (r.verdict === 'info') info++;
    else judged.push({ name: `${r.pmt ? `${r.pmt} ` : ''}${r.name}`, verdict: r.verdict, reason: r.reason });
  }
  if (!judged.length)
    return {
      verdict: 'not judged',
      reasons: [info ? `nothing judged: its ${info} result(s) are all info` : 'no results in this run'],
      judged: 0,
      info,
    };
  const v = moduleVerdict(judged);
  return { verdict: v.verdict, reasons: v.reasons, judged: judged.length, info };
}

/** How many modules have each verdict. */
export function verdictCounts(modules: readonly { verdict: ModuleVerdict }[]) {
  const counts = { pass: 0, marginal: 0, fail: 0, notJudged: 0 };
  for (const m of modules) counts[m.verdict === 'not judged' ? 'notJudged' : m.verdict]++;
  return counts;
}

/** Every result row of a run (optionally of one module), monitoring samples among them, oldest first, with `superseded` set. */
export async function runResults(ws: Workspace, runId: number, serial?: string): Promise<ResultRecord[]> {
  let q = ws.db.selectFrom('results').selectAll().where('run_id', '=', runId);
  if (serial) q = q.where('degg_serial', '=', serial);
  const [results, samples] = await Promise.all([q.orderBy('id').execute(), sampleRows(ws.db, { runId, serial })]);
  const rows = mergeSamples(results, samples);
  // the rows of one module and batch share their provenance text: parsed once (and shared)
  const provenances = new Map<string, Partial<Provenance>>();
  const provenanceOf = (r: (typeof rows)[number]) => {
    let p = provenances.get(r.provenance);
    if (!p) provenances.set(r.provenance, (p = parseJson<Partial<Provenance>>(r.provenance, `results.provenance of result ${r.id}`)));
    return p;
  };
  const out: ResultRecord[] = rows.map((r) => ({
    id: Number(r.id),
    taskId: r.task_id,
    kind: r.kind,
    port: r.port,
    serial: r.degg_serial,
    pmt: r.pmt,
    name: r.name,
    value: r.value,
    units: r.units,
    verdict: r.verdict,
    reason: r.reason,
    goalpostsVersion: r.goalposts_version,
    folder: r.folder,
    detail: detailOf(r),
    provenance: provenanceOf(r),
    createdAt: r.created_at,
    superseded: false,
  }));
  const bySerial = new Map<string, ResultRecord[]>();
  for (const r of out) {
    const list = bySerial.get(r.serial);
    if (list) list.push(r);
    else bySerial.set(r.serial, [r]);
  }
  for (const list of bySerial.values()) {
    const latest = new Set(latestPerQuantity(list));
    for (const r of list) r.superseded = !latest.has(r);
  }
  return out;
}

/** The verdict of every module of a run (excluded ones too, with their state), by port. */
export async function runVerdicts(ws: Workspace, runId: number): Promise<ModuleReport[]> {
  const modules = await ws.db
    .selectFrom('modules')
    .select(['port', 'degg_serial', 'state', 'state_reason'])
    .where('run_id', '=', runId)
    .orderBy('port')
    .execute();
  // only the columns a verdict needs: reading and parsing every row's detail and provenance JSON
  // made this most of the time of GET /api/results on a run with monitoring samples (bench/api.ts)
  const [results, samples] = await Promise.all([
    ws.db
      .selectFrom('results')
      .select(['id', 'degg_serial', 'pmt', 'name', 'verdict', 'reason'])
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute(),
    sampleRows(ws.db, { runId }),
  ]);
  const rows = mergeSamples(results, samples);
  const bySerial = new Map<string, Array<{ id: number; pmt: string | null; name: string; verdict: Verdict | 'info'; reason: string }>>();
  for (const r of rows) {
    let list = bySerial.get(r.degg_serial);
    if (!list) bySerial.set(r.degg_serial, (list = []));
    list.push({ id: Number(r.id), pmt: r.pmt, name: r.name, verdict: r.verdict, reason: r.reason });
  }
  return modules.map((m) => {
    const v = verdictOfRows(bySerial.get(m.degg_serial) ?? []);
    return { port: m.port, serial: m.degg_serial, state: m.state, stateReason: m.state_reason, ...v };
  });
}

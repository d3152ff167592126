import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db } from '../store/open.js';
import { parseJson } from '../store/open.js';
import { bulkInsertWrites, type BulkColumn, type ComputedColumn } from '../store/bulk-insert.js';
import type { Write } from '../store/write-set.js';
import type { Database, MonitoringSampleTable, ResultTable } from '../store/schema.js';
import type { ResultRow } from './results.js';

/**
 * Monitoring samples: the quantities a monitoring task measures over and over (constant_monitor,
 * slowmon), judged like results but stored one row per module and commit, the module's samples
 * packed in one JSON array (migration 0015). A result row per sample put 112 rows of an iteration
 * over 16 D-Eggs into ~16-80 index leaf pages; a packed row per module appends to one
 * (bench/store.ts). Readers see every sample as a result row (`sampleRows`), placed among the
 * results by `last_result_id` (`mergeSamples`), with an id of its own below zero.
 */

/** The columns of a monitoring_samples row as written, with their PostgreSQL types. */
const SAMPLE_COLUMNS = [
  { name: 'station', pgType: 'text' },
  { name: 'run_id', pgType: 'integer' },
  { name: 'task_id', pgType: 'integer' },
  { name: 'kind', pgType: 'text' },
  { name: 'port', pgType: 'integer' },
  { name: 'degg_serial', pgType: 'text' },
  { name: 'folder', pgType: 'text' },
  { name: 'goalposts_version', pgType: 'text' },
  { name: 'provenance', pgType: 'text' },
  { name: 'created_at', pgType: 'text' },
  { name: 'samples', pgType: 'text' },
] as const satisfies ReadonlyArray<BulkColumn & { name: keyof MonitoringSampleTable }>;

/**
 * The newest result when the samples are committed, read by the INSERT itself (inside the
 * transaction, like a query before it, without a round trip of its own).
 */
const LAST_RESULT_ID = [{ name: 'last_result_id', sql: '(select max(id) from results)' }] as const satisfies ReadonlyArray<
  ComputedColumn & { name: keyof MonitoringSampleTable }
>;

/** one packed sample: [pmt, name, value, units, verdict, reason, detail] */
type Packed = [string | null, string, number | null, string, ResultRow['verdict'], string, Record<string, unknown>];

/** The samples' place among the ids of a row: a sample's id is -(row id * ID_SPAN + its index + 1). */
const ID_SPAN = 2 ** 20;

/** Whether two judged rows go into one packed row: the same module and origin. */
const samePackedRow = (a: ResultRow, b: ResultRow) =>
  a.port === b.port &&
  a.degg_serial === b.degg_serial &&
  a.kind === b.kind &&
  a.folder === b.folder &&
  a.task_id === b.task_id &&
  a.created_at === b.created_at &&
  a.provenance === b.provenance &&
  a.goalposts_version === b.goalposts_version &&
  a.station === b.station &&
  a.run_id === b.run_id;

/** One sample as packed text; its detail is already JSON text (judgeResults), spliced in, not parsed and written again. */
function packed(v: ResultRow): string {
  // the value is finite or null (judgeResults), which JSON writes as it is
  const head = JSON.stringify([v.pmt, v.name, v.value, v.units, v.verdict, v.reason]);
  return `${head.slice(0, -1)},${v.detail}]`;
}

/**
 * The statements that insert judged rows (`judgeResults`) as monitoring samples with `db` (a
 * transaction, to commit them with what else belongs to them; `executeWrites`): one row per module
 * and origin, in the order given. A sample's place among the results is the newest result id when
 * the statement runs: results inserted by the same statement (one of PostgreSQL's) are not seen.
 */
export function sampleWrites(db: Db | Transaction<Database>, values: readonly ResultRow[]): Write[] {
  if (!values.length) return [];
  // the rows of a module in a batch share their origin: looked up by port, split where it differs
  const groups: ResultRow[][] = [];
  const byPort = new Map<number, ResultRow[][]>();
  for (const v of values) {
    let mine = byPort.get(v.port);
    if (!mine) byPort.set(v.port, (mine = []));
    const g = mine.find((x) => samePackedRow(x[0], v));
    if (g) g.push(v);
    else {
      mine.push([v]);
      groups.push(mine[mine.length - 1]);
    }
  }
  for (const g of groups)
    if (g.length >= ID_SPAN) throw new Error(`monitoring samples: ${g.length} samples of one module in one commit, at most ${ID_SPAN - 1}`);
  const rows = groups.map((g) => {
    const f = g[0];
    return [
      f.station,
      f.run_id,
      f.task_id,
      f.kind,
      f.port,
      f.degg_serial,
      f.folder,
      f.goalposts_version,
      f.provenance,
      f.created_at,
      `[${g.map(packed).join(',')}]`,
    ];
  });
  return bulkInsertWrites(db, 'monitoring_samples', SAMPLE_COLUMNS, rows, LAST_RESULT_ID);
}

/**
 * A sample read back as a result row, with its place among the results (`after`: the newest result
 * id when it was committed). Its detail is parsed once (`parsedDetail`); the text is made only
 * for a reader that asks for it.
 */
export type SampleRow = Selectable<ResultTable> & { after: number; parsedDetail: Record<string, unknown> };

class Sample {
  private text: string | undefined;
  constructor(
    readonly id: number,
    readonly station: string,
    readonly run_id: number,
    readonly task_id: number | null,
    readonly kind: string,
    readonly port: number,
    readonly degg_serial: string,
    readonly pmt: string | null,
    readonly name: string,
    readonly value: number | null,
    readonly units: string,
    readonly verdict: ResultRow['verdict'],
    readonly reason: string,
    readonly goalposts_version: string,
    readonly folder: string | null,
    readonly provenance: string,
    readonly created_at: string,
    readonly after: number,
    readonly parsedDetail: Record<string, unknown>,
  ) {}
  get detail(): string {
    return (this.text ??= JSON.stringify(this.parsedDetail));
  }
}

/** True for a sample read back by `sampleRows`, false for a row of `results`. */
export function isSample(r: object): r is SampleRow {
  return r instanceof Sample;
}

/** The detail of a result row or a sample, parsed. */
export function detailOf(r: Pick<Selectable<ResultTable>, 'detail' | 'id'>, what = 'results.detail'): Record<string, unknown> {
  return r instanceof Sample ? r.parsedDetail : parseJson<Record<string, unknown>>(r.detail, `${what} of result ${r.id}`);
}

export interface SampleQuery {
  runId?: number;
  station?: string;
  serial?: string;
  kinds?: readonly string[];
  /** only rows whose packed samples contain this text (e.g. a detail key) */
  containing?: string;
  /** the newest rows first, at most this many rows (of up to a few hundred samples each) */
  newest?: number;
}

function unpack(r: Selectable<MonitoringSampleTable>): SampleRow[] {
  const what = `monitoring_samples.samples of row ${r.id}`;
  const list = parseJson<unknown>(r.samples, what);
  if (!Array.isArray(list)) throw new Error(`corrupt ${what}: not an array`);
  return list.map((x, i) => {
    if (
      !Array.isArray(x) ||
      x.length !== 7 ||
      typeof x[1] !== 'string' ||
      (x[2] !== null && typeof x[2] !== 'number') ||
      typeof x[6] !== 'object' ||
      x[6] === null ||
      Array.isArray(x[6])
    )
      throw new Error(`corrupt ${what}: sample ${i} is not [pmt, name, value, units, verdict, reason, detail]`);
    const [pmt, name, value, units, verdict, reason, detail] = x as Packed;
    return new Sample(
      -(Number(r.id) * ID_SPAN + i + 1),
      r.station,
      r.run_id,
      r.task_id,
      r.kind,
      r.port,
      r.degg_serial,
      pmt,
      name,
      value,
      units,
      verdict,
      reason,
      r.goalposts_version,
      r.folder,
      r.provenance,
      r.created_at,
      r.last_result_id === null ? 0 : Number(r.last_result_id),
      detail,
    );
  });
}

/** The stored samples matching `q` as result rows, in the order they were committed (newest first with `newest`). */
export async function sampleRows(db: Db, q: SampleQuery): Promise<SampleRow[]> {
  let s = db.selectFrom('monitoring_samples').selectAll();
  if (q.runId !== undefined) s = s.where('run_id', '=', q.runId);
  if (q.station !== undefined) s = s.where('station', '=', q.station);
  if (q.serial !== undefined) s = s.where('degg_serial', '=', q.serial);
  if (q.kinds) s = q.kinds.length ? s.where('kind', 'in', q.kinds) : s.where(sql<boolean>`1 = 0`);
  if (q.containing !== undefined) s = s.where('samples', 'like', `%${q.containing}%`);
  s = q.newest !== undefined ? s.orderBy('id', 'desc').limit(q.newest) : s.orderBy('id');
  const out: SampleRow[] = [];
  for (const r of await s.execute()) {
    const u = unpack(r);
    if (q.newest !== undefined) u.reverse();
    for (const x of u) out.push(x);
  }
  return out;
}

/**
 * Result rows (oldest first, by id) and samples in one list in the order they were committed: a
 * sample after every result that was already there when it was committed, before every later one.
 */
export function mergeSamples<R extends { id: number | bigint }, S extends { after: number }>(
  results: readonly R[],
  samples: readonly S[],
): Array<R | S> {
  if (!samples.length) return [...results];
  // stable: samples of one commit keep their order
  const sorted = samples.every((s, i) => i === 0 || samples[i - 1].after <= s.after)
    ? samples
    : [...samples].sort((a, b) => a.after - b.after);
  const out: Array<R | S> = [];
  let i = 0;
  for (const s of sorted) {
    while (i < results.length && Number(results[i].id) <= s.after) out.push(results[i++]);
    out.push(s);
  }
  while (i < results.length) out.push(results[i++]);
  return out;
}

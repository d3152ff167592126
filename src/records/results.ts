import type { Insertable, Transaction } from 'kysely';
import { judge } from '../analysis/goalposts.js';
import type { Database, ResultTable } from '../store/schema.js';
import type { Db } from '../store/open.js';
import { bulkInsertWrites, type BulkColumn } from '../store/bulk-insert.js';
import { executeWrites, type Write } from '../store/write-set.js';
import type { Provenance } from './api-types.js';
import type { Workspace } from '../station/workspace.js';
import { gitState, ICEFAT_PATHS } from '../station/git-state.js';
import { goalpostsFile, loadGoalposts } from './goalposts-file.js';
import { REPO_ROOT } from '../util/repo-root.js';

/**
 * Results: every measured quantity a task kind reports, judged against the goalposts file and
 * stored with its provenance. A task stages its rows on its record (`TaskRecord.results`), which
 * the engine commits with the task's end; work outside a task calls `recordResults`.
 */
export interface ResultInput {
  port: number;
  serial: string;
  /** 'LowerPmt' | 'UpperPmt', or absent for the module as a whole */
  pmt?: string | null;
  /** goalpost name, e.g. 'gain.hv1e7' (config/goalposts.toml) */
  name: string;
  value: number | null;
  /** what a reader needs besides the value (fit errors, counts...) */
  detail?: Record<string, unknown>;
  /** set when the quantity could not be measured here (e.g. no cameras): recorded as info with this reason */
  notMeasured?: string;
  /** set when the measurement failed on the device (e.g. a camera that does not answer): recorded as fail with this reason */
  failed?: string;
}

export interface RecordedResult extends ResultInput {
  verdict: 'pass' | 'marginal' | 'fail' | 'info';
  reason: string;
  units: string;
}

export interface ResultOrigin {
  runId: number;
  /** the master's task id; 0 or null outside a schedule */
  taskId: number | null;
  kind: string;
  folder: string | null;
  /**
   * replace this task's earlier rows of this kind in the same transaction: an analysis job that
   * runs again (its worker died after writing, before the queue heard of it) leaves one set of rows
   */
  replace?: boolean;
}

let git: { sha: string | null; dirty: boolean | null } | null = null;
function icefatGit() {
  if (!git) {
    const g = gitState(REPO_ROOT, ICEFAT_PATHS);
    git = g.available ? { sha: g.sha ?? null, dirty: g.dirty ?? null } : { sha: null, dirty: null };
  }
  return git;
}

/** The columns of a result row, in the order they are written, with their PostgreSQL types. */
const RESULT_COLUMNS = [
  { name: 'station', pgType: 'text' },
  { name: 'run_id', pgType: 'integer' },
  { name: 'task_id', pgType: 'integer' },
  { name: 'kind', pgType: 'text' },
  { name: 'port', pgType: 'integer' },
  { name: 'degg_serial', pgType: 'text' },
  { name: 'pmt', pgType: 'text' },
  { name: 'name', pgType: 'text' },
  { name: 'value', pgType: 'double precision' },
  { name: 'units', pgType: 'text' },
  { name: 'verdict', pgType: 'text' },
  { name: 'reason', pgType: 'text' },
  { name: 'goalposts_version', pgType: 'text' },
  { name: 'folder', pgType: 'text' },
  { name: 'detail', pgType: 'text' },
  { name: 'provenance', pgType: 'text' },
  { name: 'created_at', pgType: 'text' },
] as const satisfies ReadonlyArray<BulkColumn & { name: keyof Insertable<ResultTable> }>;

type ResultColumn = (typeof RESULT_COLUMNS)[number]['name'];

/** A judged result row as it is inserted: every column given. */
export type ResultRow = { [K in ResultColumn]-?: Exclude<Insertable<ResultTable>[K], undefined> };

/** What the provenance of a batch's rows is made of: one read of the store. */
async function provenanceSources(ws: Workspace, runId: number, taskId: number | null) {
  const rows = await ws.db
    .selectFrom('runs')
    .leftJoin('modules', 'modules.run_id', 'runs.id')
    .select(['runs.operator', 'modules.port', 'modules.fpga_version', 'modules.software_version'])
    .select((eb) =>
      eb
        .selectFrom('tasks')
        .innerJoin('schedules', 'schedules.id', 'tasks.schedule_id')
        .select('schedules.config_hash')
        .where('tasks.id', '=', taskId ?? -1)
        .as('config_hash'),
    )
    .where('runs.id', '=', runId)
    .execute();
  if (!rows.length) throw new Error(`results of run ${runId}: the store has no such run`);
  const firmware = new Map<number, { fpga: number; software: number }>();
  for (const m of rows) if (m.port !== null) firmware.set(m.port, { fpga: m.fpga_version!, software: m.software_version! });
  return { operator: rows[0].operator, scheduleHash: taskId ? (rows[0].config_hash ?? null) : null, firmware };
}

/** Judges `rows` against the goalposts: the rows to insert and what each was judged. Writes nothing. */
export async function judgeResults(
  ws: Workspace,
  o: ResultOrigin,
  rows: ResultInput[],
): Promise<{ values: ResultRow[]; judged: RecordedResult[] }> {
  const values: ResultRow[] = [];
  const judged: RecordedResult[] = [];
  if (!rows.length) return { values, judged };
  const gp = loadGoalposts(goalpostsFile(ws.home.dir));
  const taskId = o.taskId || null;
  const src = await provenanceSources(ws, o.runId, taskId);
  const g = icefatGit();
  const now = new Date(ws.clock.now()).toISOString();
  // the rows of one module share their provenance: its text is made once per port
  const provenanceOf = new Map<number, string>();
  for (const r of rows) {
    const goal = gp.entries.get(r.name);
    if (!goal) throw new Error(`result ${r.name} has no goalpost in ${gp.file}: add a [${JSON.stringify(r.name)}] section`);
    const verdict = r.notMeasured
      ? { verdict: 'info' as const, reason: `${r.name} not measured: ${r.notMeasured}` }
      : r.failed
        ? { verdict: 'fail' as const, reason: `${r.serial}${r.pmt ? ` ${r.pmt}` : ''} ${goal.description || r.name}: ${r.failed}` }
        : goal.low === undefined && goal.high === undefined
          ? { verdict: 'info' as const, reason: '' }
          : judge(r.value, goal, `${r.serial}${r.pmt ? ` ${r.pmt}` : ''} ${goal.description || r.name}`);
    let provenance = provenanceOf.get(r.port);
    if (provenance === undefined) {
      const p: Provenance = {
        icefatCommit: g.sha,
        icefatDirty: g.dirty,
        scheduleHash: src.scheduleHash,
        station: ws.station.name,
        operator: src.operator,
        goalpostsVersion: gp.version,
        goalpostsFile: gp.file,
        firmware: src.firmware.get(r.port) ?? null,
      };
      provenance = JSON.stringify(p);
      provenanceOf.set(r.port, provenance);
    }
    const value = r.value !== null && Number.isFinite(r.value) ? r.value : null;
    values.push({
      station: ws.station.name,
      run_id: o.runId,
      task_id: taskId,
      kind: o.kind,
      port: r.port,
      degg_serial: r.serial,
      pmt: r.pmt ?? null,
      name: r.name,
      value,
      units: goal.units,
      verdict: verdict.verdict,
      reason: verdict.reason,
      goalposts_version: gp.version,
      folder: o.folder,
      detail: JSON.stringify(r.detail ?? {}),
      provenance,
      created_at: now,
    });
    // as { ...r, value, verdict, reason, units }, which V8 makes ~25x slower for a row with `value` already
    const out = Object.assign({}, r) as RecordedResult;
    out.value = value;
    out.verdict = verdict.verdict;
    out.reason = verdict.reason;
    out.units = goal.units;
    judged.push(out);
  }
  return { values, judged };
}

/**
 * Inserts judged rows with `db` (a transaction, to commit them with what else belongs to them),
 * in as few statements as the engine takes well (store/bulk-insert.ts).
 */
export async function insertResults(db: Db | Transaction<Database>, values: ResultRow[]): Promise<void> {
  await executeWrites(db, resultWrites(db, values));
}

/** As `insertResults`, the statements not yet run (`executeWrites`). */
export function resultWrites(db: Db | Transaction<Database>, values: readonly ResultRow[]): Write[] {
  return bulkInsertWrites(
    db,
    'results',
    RESULT_COLUMNS,
    values.map((r) => RESULT_COLUMNS.map((c) => r[c.name])),
  );
}

/**
 * Judges and stores result rows at once, outside a task's record (analysis jobs, checks, imports).
 * With `replace`, this task's earlier rows of this kind go in the same transaction.
 */
export async function recordResults(ws: Workspace, o: ResultOrigin, rows: ResultInput[]): Promise<RecordedResult[]> {
  const { values, judged } = await judgeResults(ws, o, rows);
  if (!values.length) return judged;
  await ws.db.transaction().execute(async (tx) => {
    if (o.replace && o.taskId)
      await tx.deleteFrom('results').where('run_id', '=', o.runId).where('task_id', '=', o.taskId).where('kind', '=', o.kind).execute();
    await insertResults(tx, values);
  });
  return judged;
}

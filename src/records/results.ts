import type { Insertable, Transaction } from 'kysely';
import { judge } from '../analysis/goalposts.js';
import type { Database, ResultTable } from '../store/schema.js';
import type { Db } from '../store/open.js';
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

/** rows per INSERT statement: 17 parameters each, well below SQLite's 32766 and PostgreSQL's 65535 */
const ROWS_PER_INSERT = 500;

/** Judges `rows` against the goalposts: the rows to insert and what each was judged. Writes nothing. */
export async function judgeResults(
  ws: Workspace,
  o: ResultOrigin,
  rows: ResultInput[],
): Promise<{ values: Insertable<ResultTable>[]; judged: RecordedResult[] }> {
  const values: Insertable<ResultTable>[] = [];
  const judged: RecordedResult[] = [];
  if (!rows.length) return { values, judged };
  const gp = loadGoalposts(goalpostsFile(ws.home.dir));
  const run = await ws.db.selectFrom('runs').select(['operator']).where('id', '=', o.runId).executeTakeFirstOrThrow();
  const taskId = o.taskId || null;
  const schedule = taskId
    ? await ws.db
        .selectFrom('tasks')
        .innerJoin('schedules', 'schedules.id', 'tasks.schedule_id')
        .select(['schedules.config_hash'])
        .where('tasks.id', '=', taskId)
        .executeTakeFirst()
    : undefined;
  const modules = await ws.db
    .selectFrom('modules')
    .select(['port', 'fpga_version', 'software_version'])
    .where('run_id', '=', o.runId)
    .execute();
  const g = icefatGit();
  const now = new Date(ws.clock.now()).toISOString();
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
    const mod = modules.find((m) => m.port === r.port);
    const provenance: Provenance = {
      icefatCommit: g.sha,
      icefatDirty: g.dirty,
      scheduleHash: schedule?.config_hash ?? null,
      station: ws.station.name,
      operator: run.operator,
      goalpostsVersion: gp.version,
      goalpostsFile: gp.file,
      firmware: mod ? { fpga: mod.fpga_version, software: mod.software_version } : null,
    };
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
      provenance: JSON.stringify(provenance),
      created_at: now,
    });
    judged.push({ ...r, value, verdict: verdict.verdict, reason: verdict.reason, units: goal.units });
  }
  return { values, judged };
}

/**
 * Inserts judged rows with `db` (a transaction, to commit them with what else belongs to them):
 * a few multi-row INSERTs instead of one per row, since on PostgreSQL each statement is a round
 * trip (bench/store.ts: a monitoring batch of 112 rows 5x faster); chunks stay within both
 * engines' limits on bound parameters.
 */
export async function insertResults(db: Db | Transaction<Database>, values: Insertable<ResultTable>[]): Promise<void> {
  for (let i = 0; i < values.length; i += ROWS_PER_INSERT)
    await db
      .insertInto('results')
      .values(values.slice(i, i + ROWS_PER_INSERT))
      .execute();
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

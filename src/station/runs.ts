import path from 'node:path';
import { sql, type ExpressionBuilder } from 'kysely';
import type { Database, ModuleTable } from '../store/schema.js';
import type { Selectable } from 'kysely';
import type { Workspace } from './workspace.js';

/**
 * Looking up the station's runs and their modules, the same way for every command.
 *
 * Scope 'station': the station's own runs (what a master, a measurement or `fat status` works on).
 * Scope 'shown': those, and the runs `fat import` brought in from the original system under any
 * station, for what only reads (fat results, fat report, the dashboard): a home holding imported
 * runs shows them without a flag. Where both have a run number, the station's own run is meant.
 */
export type RunScope = 'station' | 'shown';

/** The condition on `runs` of scope 'shown'. */
export const shownRun = (ws: Workspace) => (eb: ExpressionBuilder<Database, 'runs'>) =>
  eb.or([
    eb('runs.station', '=', ws.station.name),
    eb('runs.id', 'in', ws.db.selectFrom('imported_entries').select('run_id').where('level', '=', 'run')),
  ]);

function runsIn(ws: Workspace, scope: RunScope) {
  const q = ws.db.selectFrom('runs').selectAll();
  if (scope === 'station') return q.where('station', '=', ws.station.name);
  return q.where(shownRun(ws)).orderBy(sql`case when station = ${ws.station.name} then 0 else 1 end`);
}

export async function latestRun(ws: Workspace, scope: RunScope = 'station') {
  return runsIn(ws, scope).orderBy('run_number', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/**
 * A run by number ("12", "run_00012") or by its run file ("…/run_00012.json", matched by path
 * first, then by the number in its name). Throws an error for people when there is none.
 */
export async function findRun(ws: Workspace, arg: string, scope: RunScope = 'station') {
  const trimmed = arg.trim();
  if (trimmed.endsWith('.json')) {
    const byPath = await runsIn(ws, scope).where('run_file', '=', path.resolve(trimmed)).executeTakeFirst();
    if (byPath) return byPath;
  }
  const m = /^(?:.*\/)?(?:run_)?0*(\d+)(?:\.json)?$/.exec(trimmed);
  if (!m) throw new Error(`"${arg}" is neither a run number nor a run_NNNNN.json file`);
  const run = await runsIn(ws, scope).where('run_number', '=', Number(m[1])).executeTakeFirst();
  if (!run)
    throw new Error(
      `run ${m[1]} does not exist on station ${ws.station.name}${scope === 'shown' ? ' nor among the imported runs' : ''} (create one with \`fat run new --comment TEXT\`)`,
    );
  return run;
}

/** The id of this station's own run with this number or run file, if it has one. */
export async function ownRunId(ws: Workspace, column: 'run_number' | 'run_file', value: number | string): Promise<number | undefined> {
  const run = await ws.db
    .selectFrom('runs')
    .select('id')
    .where('station', '=', ws.station.name)
    .where(column, '=', value)
    .executeTakeFirst();
  return run?.id;
}

/** The modules of a run still taking part (not excluded), by port. */
export async function activeModules(ws: Workspace, runId: number) {
  return ws.db.selectFrom('modules').selectAll().where('run_id', '=', runId).where('state', '=', 'active').orderBy('port').execute();
}

/** A module of a run as the tasks see it (the shape of `ActiveModule` in tasks/types.ts). */
export interface RunModule {
  port: number;
  serial: string;
  wirePair: number;
  jsonFile: string;
}

/** A `modules` row as a task's module. */
export function runModule(m: Pick<Selectable<ModuleTable>, 'port' | 'degg_serial' | 'wire_pair' | 'json_file'>): RunModule {
  return { port: m.port, serial: m.degg_serial, wirePair: m.wire_pair, jsonFile: m.json_file };
}

/** The modules of a run still taking part, by port, as the tasks see them. */
export async function activeRunModules(ws: Workspace, runId: number): Promise<RunModule[]> {
  return (await activeModules(ws, runId)).map(runModule);
}

import path from 'node:path';
import type { Workspace } from './home.js';

/** Looking up the station's runs and their modules, the same way for every command. */
export async function latestRun(ws: Workspace) {
  return ws.db
    .selectFrom('runs')
    .selectAll()
    .where('station', '=', ws.station.name)
    .orderBy('run_number', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * A run by number ("12", "run_00012") or by its run file ("…/run_00012.json", matched by path
 * first, then by the number in its name). Throws an error for people when there is none.
 */
export async function findRun(ws: Workspace, arg: string) {
  const trimmed = arg.trim();
  if (trimmed.endsWith('.json')) {
    const byPath = await ws.db
      .selectFrom('runs')
      .selectAll()
      .where('station', '=', ws.station.name)
      .where('run_file', '=', path.resolve(trimmed))
      .executeTakeFirst();
    if (byPath) return byPath;
  }
  const m = /^(?:.*\/)?(?:run_)?0*(\d+)(?:\.json)?$/.exec(trimmed);
  if (!m) throw new Error(`"${arg}" is neither a run number nor a run_NNNNN.json file`);
  const run = await ws.db
    .selectFrom('runs')
    .selectAll()
    .where('station', '=', ws.station.name)
    .where('run_number', '=', Number(m[1]))
    .executeTakeFirst();
  if (!run) throw new Error(`run ${m[1]} does not exist on station ${ws.station.name} (create one with \`fat run new --comment TEXT\`)`);
  return run;
}

/** The modules of a run still taking part (not excluded), by port. */
export async function activeModules(ws: Workspace, runId: number) {
  return ws.db.selectFrom('modules').selectAll().where('run_id', '=', runId).where('state', '=', 'active').orderBy('port').execute();
}

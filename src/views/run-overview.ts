import path from 'node:path';
import { sql } from 'kysely';
import type { RunDetail, RunSummary } from '../records/api-types.js';
import type { Workspace } from '../station/workspace.js';
import { findRun, shownRun } from '../station/runs.js';
import { runVerdicts } from '../records/verdicts.js';

/**
 * The runs of the station and those imported from the original system (runs.ts, scope 'shown')
 * for the dashboard (GET /api/runs, GET /api/runs/:number): every run with its schedules, and one
 * run in full (tasks, verdicts, backups, log, links to its exported files under /files/).
 */
export async function runList(ws: Workspace): Promise<RunSummary[]> {
  const runs = await ws.db
    .selectFrom('runs')
    .select(['id', 'station', 'run_number', 'comment', 'date', 'operator'])
    .where(shownRun(ws))
    .orderBy('run_number', 'desc')
    .execute();
  const ids = runs.map((r) => r.id);
  const schedules = ids.length
    ? await ws.db
        .selectFrom('schedules')
        .leftJoin('tasks', 'tasks.schedule_id', 'schedules.id')
        .select([
          'schedules.id',
          'schedules.run_id',
          'schedules.master_key',
          'schedules.state',
          sql<number>`count(tasks.id)`.as('total'),
          sql<number>`sum(case when tasks.state = 'done' then 1 else 0 end)`.as('done'),
          sql<number>`sum(case when tasks.state = 'failed' then 1 else 0 end)`.as('failed'),
        ])
        .where('schedules.run_id', 'in', ids)
        .groupBy(['schedules.id', 'schedules.run_id', 'schedules.master_key', 'schedules.state'])
        .orderBy('schedules.id')
        .execute()
    : [];
  const modules = ids.length
    ? await ws.db
        .selectFrom('modules')
        .select(['run_id', sql<number>`count(*)`.as('n')])
        .where('run_id', 'in', ids)
        .groupBy('run_id')
        .execute()
    : [];
  return runs.map((r) => ({
    number: r.run_number,
    station: r.station,
    comment: r.comment,
    date: r.date,
    operator: r.operator,
    modules: Number(modules.find((m) => m.run_id === r.id)?.n ?? 0),
    schedules: schedules
      .filter((s) => s.run_id === r.id)
      .map((s) => ({
        key: s.master_key,
        state: s.state,
        total: Number(s.total),
        done: Number(s.done ?? 0),
        failed: Number(s.failed ?? 0),
      })),
  }));
}

/** A URL under /files/ for a file in the home's json/ or data/ folder, else null. */
export function fileLink(ws: Workspace, file: string | null): string | null {
  if (!file) return null;
  for (const [prefix, root] of [
    ['json', ws.home.jsonDir],
    ['data', ws.home.dataDir],
  ] as const) {
    const rel = path.relative(root, path.resolve(file));
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel))
      return `/files/${prefix}/${rel.split(path.sep).map(encodeURIComponent).join('/')}`;
  }
  return null;
}

export async function runDetail(ws: Workspace, runArg: string): Promise<RunDetail> {
  const run = await findRun(ws, runArg, 'shown');
  const schedules = await ws.db.selectFrom('schedules').selectAll().where('run_id', '=', run.id).orderBy('id').execute();
  const tasks = await scheduleTasks(
    ws,
    schedules.map((s) => s.id),
  );
  const files = await runFiles(ws, run.id);
  const backups = await ws.db
    .selectFrom('backups')
    .select(['id', 'created_at', 'state', 'attempts', 'destination', 'snapshot_path', 'last_error', 'done_at'])
    .where('run_id', '=', run.id)
    .orderBy('id')
    .execute();
  const log = await ws.db
    .selectFrom('events')
    .select(['id', 'time', 'level', 'kind', 'message'])
    .where('station', '=', ws.station.name)
    .where('run_id', '=', run.id)
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  return {
    number: run.run_number,
    comment: run.comment,
    date: run.date,
    operator: run.operator,
    runFile: { path: run.run_file, link: fileLink(ws, run.run_file) },
    schedules: schedules.map((s) => ({
      key: s.master_key,
      file: s.config_path,
      state: s.state,
      createdAt: s.created_at,
      endedAt: s.ended_at,
      endReason: s.end_reason,
      tasks: tasks.filter((t) => t.schedule_id === s.id).map(({ schedule_id: _s, ...t }) => t),
    })),
    verdicts: await runVerdicts(ws, run.id),
    files,
    backups,
    log: log.reverse(),
  };
}

/** The tasks of these schedules, by schedule and index. */
async function scheduleTasks(ws: Workspace, scheduleIds: number[]) {
  if (!scheduleIds.length) return [];
  return ws.db
    .selectFrom('tasks')
    .select(['schedule_id', 'idx', 'section', 'kind', 'state', 'attempts', 'started_at', 'ended_at', 'error', 'progress', 'progress_note'])
    .where('schedule_id', 'in', scheduleIds)
    .orderBy('schedule_id')
    .orderBy('idx')
    .execute();
}

/** A run's exported D-Egg files and raw data folders. */
async function runFiles(ws: Workspace, runId: number): Promise<RunDetail['files']> {
  const modules = await ws.db
    .selectFrom('modules')
    .select(['port', 'degg_serial', 'json_file'])
    .where('run_id', '=', runId)
    .orderBy('port')
    .execute();
  const folders = await ws.db
    .selectFrom('results')
    .select('folder')
    .where('run_id', '=', runId)
    .where('folder', 'is not', null)
    .union((eb) => eb.selectFrom('monitoring_samples').select('folder').where('run_id', '=', runId).where('folder', 'is not', null))
    .execute();
  return [
    ...modules.map((m) => ({
      what: `D-Egg JSON of ${m.degg_serial} (port ${m.port})`,
      path: m.json_file,
      link: fileLink(ws, m.json_file),
    })),
    ...folders.map((f) => ({ what: 'raw data folder', path: f.folder!, link: null })),
  ];
}

import type { Workspace } from '../station/workspace.js';
import { backupLag } from '../engine/backup.js';
import { latestSchedule } from '../engine/journal.js';
import { latestRun } from '../station/runs.js';
import { openEventStreams } from './events-sse.js';
import { detailOf, mergeSamples, sampleRows } from '../records/samples.js';

/**
 * GET /metrics in the Prometheus text format: tasks of the latest schedule by state, module states
 * of the latest run, the last temperature readings stored with results, backup lag, open prompts.
 */
const TASK_STATES = ['pending', 'running', 'done', 'failed', 'skipped'];

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Exposition {
  readonly lines: string[] = [];
  metric(name: string, help: string, samples: Array<[Record<string, string>, number]>): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`);
      this.lines.push(`${name}${l.length ? `{${l.join(',')}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    }
  }
}

async function temperatures(ws: Workspace, runId: number): Promise<Array<[Record<string, string>, number]>> {
  const results = await ws.db
    .selectFrom('results')
    .select(['id', 'degg_serial', 'detail'])
    .where('run_id', '=', runId)
    .where('detail', 'like', '%temperatureC%')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  // a row of samples is one module's commit: the newest 32 rows hold the newest samples of every module
  const samples = (await sampleRows(ws.db, { runId, containing: 'temperatureC', newest: 32 })).reverse();
  const rows = mergeSamples(results.reverse(), samples).reverse();
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (seen.has(r.degg_serial)) continue;
    const t = detailOf(r).temperatureC;
    if (typeof t === 'number') seen.set(r.degg_serial, t);
  }
  return [...seen].map(([serial, t]) => [{ serial }, t]);
}

export async function metricsText(ws: Workspace): Promise<string> {
  const station = ws.station.name;
  const x = new Exposition();
  const run = await latestRun(ws);
  const sched = run ? await latestSchedule(ws, run.id) : undefined;
  const tasks = sched
    ? await ws.db
        .selectFrom('tasks')
        .select(['state', (e) => e.fn.countAll<number>().as('n')])
        .where('schedule_id', '=', sched.id)
        .groupBy('state')
        .execute()
    : [];
  const byState = new Map(tasks.map((t) => [t.state as string, Number(t.n)]));
  x.metric(
    'fat_tasks',
    'tasks of the latest schedule by state',
    TASK_STATES.map((s) => [{ station, state: s }, byState.get(s) ?? 0]),
  );
  const modules = run
    ? await ws.db
        .selectFrom('modules')
        .select(['state', (e) => e.fn.countAll<number>().as('n')])
        .where('run_id', '=', run.id)
        .groupBy('state')
        .execute()
    : [];
  x.metric(
    'fat_modules',
    'modules of the latest run by state',
    modules.map((m) => [{ station, state: m.state }, Number(m.n)]),
  );
  if (run) x.metric('fat_last_temperature_celsius', 'last temperature stored with a result, per module', await temperatures(ws, run.id));
  x.metric('fat_backup_lag_seconds', 'age of the oldest backup not yet done (0: none waiting)', [[{ station }, await backupLag(ws)]]);
  const open = await ws.db
    .selectFrom('prompts')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('station', '=', station)
    .where('answered_at', 'is', null)
    .executeTakeFirstOrThrow();
  x.metric('fat_open_prompts', 'prompts waiting for a person', [[{ station }, Number(open.n)]]);
  x.metric('fat_run_number', 'number of the latest run (0: none)', [[{ station }, run?.run_number ?? 0]]);
  x.metric('fat_api_event_streams', 'clients of GET /api/events connected to this server', [[{ station }, openEventStreams()]]);
  return x.lines.join('\n') + '\n';
}

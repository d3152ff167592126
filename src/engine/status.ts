import type { Workspace } from '../station/workspace.js';
import { latestRun } from '../station/runs.js';
import { outboxBacklog } from '../notify/slack-outbox.js';
import type { Status } from '../records/api-types.js';
import { backupLag } from './backup.js';
import { forecastOf, formatDuration, formatTime } from './forecast.js';
import { leaseHolder } from './lease.js';
import { openPromptOf } from './prompts.js';
import { latestSchedule } from './journal.js';
import { formatOperator, operatorStatus } from './operator-status.js';

/** Slack messages waiting (wall time: the outbox is about the real Slack). */
async function slackBacklog(ws: Workspace) {
  const b = await outboxBacklog(ws);
  return { pending: b.count, oldestAgeS: b.oldest ? Math.max(0, (Date.now() - Date.parse(b.oldest)) / 1000) : 0, lastError: b.lastError };
}

/** What the station is doing now: the answer of `fat status` (and later GET /api/status). */
export async function stationStatus(ws: Workspace): Promise<Status> {
  const lease = await leaseHolder(ws);
  const run = await latestRun(ws);
  const sched = run ? await latestSchedule(ws, run.id) : undefined;
  const fc = sched ? await forecastOf(ws, sched.id) : undefined;
  const current = fc?.tasks.find((t) => t.state === 'running');
  const modules = run
    ? await ws.db
        .selectFrom('modules')
        .select(['port', 'degg_serial', 'state', 'state_reason'])
        .where('run_id', '=', run.id)
        .orderBy('port')
        .execute()
    : [];
  const prompt = await openPromptOf(ws);
  const events = await ws.db
    .selectFrom('events')
    .select(['time', 'level', 'message'])
    .where('station', '=', ws.station.name)
    // debug events (the condition readings between tasks) are for the history, not the summary
    .where('level', '!=', 'debug')
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
  return {
    station: ws.station.name,
    master: lease ? { holder: lease.holder, since: lease.acquired_at, alive: !lease.dead } : null,
    run: run ? { number: run.run_number, comment: run.comment, date: run.date } : null,
    schedule: sched
      ? {
          key: sched.master_key,
          file: sched.config_path,
          state: sched.state,
          endedAt: sched.ended_at,
          endReason: sched.end_reason,
          done: fc!.forecast.done,
          total: fc!.forecast.total,
          remainingS: fc!.forecast.remainingS,
          eta: new Date(fc!.forecast.etaMs).toISOString(),
          basis: fc!.forecast.basis,
          catalogueRemainingS: fc!.forecast.catalogueRemainingS,
          current: current
            ? {
                index: current.idx,
                section: current.section,
                kind: current.kind,
                progress: current.progress,
                note: current.progress_note,
                startedAt: current.started_at,
              }
            : null,
          failed: fc!.tasks.filter((t) => t.state === 'failed').map((t) => ({ index: t.idx, section: t.section, error: t.error })),
          nextPerson: fc!.forecast.nextPerson
            ? { ...fc!.forecast.nextPerson, at: new Date(fc!.forecast.nextPerson.atMs).toISOString() }
            : null,
        }
      : null,
    modules,
    prompt: prompt ? { id: prompt.id, kind: prompt.kind, message: prompt.message, openedAt: prompt.opened_at } : null,
    operator: await operatorStatus(ws),
    backupLagS: await backupLag(ws),
    slack: await slackBacklog(ws),
    events: events.reverse(),
  };
}

export function formatStatus(s: Status): string[] {
  const out = [`Station ${s.station}`];
  out.push(
    s.master
      ? `  master: ${s.master.alive ? 'running' : 'DEAD (crashed?)'} (${s.master.holder}, since ${s.master.since})${s.master.alive ? '' : ': restart it with --recover'}`
      : '  master: not running',
  );
  if (!s.run) return [...out, '  no run yet: `fat run new --comment TEXT`'];
  out.push(`  run ${s.run.number} (${s.run.date}): ${s.run.comment}`);
  const sc = s.schedule;
  if (sc) {
    out.push(
      `  schedule ${sc.key} (${sc.file}): ${sc.done}/${sc.total} tasks done, ${sc.state}${sc.endReason && sc.state === 'active' ? `, stopped: ${sc.endReason}` : ''}`,
    );
    if (sc.current)
      out.push(
        `  now: [${sc.current.index}] ${sc.current.section} (${sc.current.kind}) ${(100 * sc.current.progress).toFixed(0)}% ${sc.current.note}`,
      );
    if (sc.state !== 'completed')
      out.push(
        `  remaining about ${formatDuration(sc.remainingS)} (ETA ${formatTime(Date.parse(sc.eta))}; ${sc.basis}; the catalogue says ${formatDuration(sc.catalogueRemainingS)})`,
      );
    for (const f of sc.failed) out.push(`  FAILED: [${f.index}] ${f.section}: ${f.error}`);
    if (sc.nextPerson)
      out.push(`  a person is next needed around ${formatTime(sc.nextPerson.atMs)} for [${sc.nextPerson.idx}] ${sc.nextPerson.what}`);
  }
  out.push(...formatOperator(s.operator));
  if (s.prompt) out.push(`  OPEN PROMPT: ${s.prompt.message}  (answer with \`fat answer yes\` or \`fat answer no --reason ...\`)`);
  const excluded = s.modules.filter((m) => m.state !== 'active');
  out.push(
    `  D-Eggs: ${s.modules.length - excluded.length}/${s.modules.length} active` +
      (excluded.length ? `; excluded: ${excluded.map((m) => `${m.degg_serial} (port ${m.port}): ${m.state_reason}`).join('; ')}` : ''),
  );
  if (s.backupLagS > 0) out.push(`  backups: oldest pending for ${formatDuration(s.backupLagS)}`);
  if (s.slack.pending > 0)
    out.push(
      `  Slack: ${s.slack.pending} message(s) waiting, the oldest for ${formatDuration(s.slack.oldestAgeS)}${s.slack.lastError ? ` (last error: ${s.slack.lastError})` : ''}; \`fat notify flush\` sends them`,
    );
  if (s.events.length) out.push('  last events:', ...s.events.map((e) => `    ${e.time.slice(0, 19)} ${e.level.padEnd(5)} ${e.message}`));
  return out;
}

import { sql } from 'kysely';
import { parseJson } from '../store/open.js';
import type { Workspace } from '../station/workspace.js';
import type { EntryKind } from './entries.js';
import { runVerdicts, verdictCounts } from '../records/verdicts.js';

/**
 * Automatic logbook entries, made from the events in the store: run start and end (with the
 * per-module verdicts), every operator action (prompt answers; pause, resume, abort, exclude,
 * include), every pause (by a person or by the conditions) and exclusion. Each event gives at most
 * one entry (event_id is unique), so any process may sync at any time: the master's notifier after
 * each such event, `fat serve` and `fat log` before they read.
 */
export const AUTO_AUTHOR = 'icefat';
const CURSOR = 'events';

/** Which event kinds make an entry, and of what kind. */
export function entryKindOf(kind: string, data: Record<string, unknown>): EntryKind | undefined {
  if (kind === 'run.created') return 'run-created';
  if (kind === 'run.start' || kind === 'run.recover') return 'run-start';
  // run.interrupted is followed by run.stopped: one end
  if (kind === 'run.complete' || kind === 'run.stopped' || kind === 'run.failed') return 'run-end';
  if (kind === 'conditions.paused' || kind === 'conditions.resumed' || kind === 'run.paused' || kind === 'run.resumed') return 'pause';
  if (kind === 'module.excluded' || kind === 'module.included') return 'exclusion';
  if (kind.startsWith('operator.') || kind.startsWith('prompt.answer-')) return 'operator-action';
  // the master's own note of an answer: only answers given at its terminal have no event of their own
  if (kind === 'prompt.answered' && data.via !== 'cli' && data.via !== 'web' && data.via !== 'dry-run') return 'operator-action';
  return undefined;
}

export const AUTO_EVENT_KINDS = [
  'run.created',
  'run.start',
  'run.recover',
  'run.complete',
  'run.stopped',
  'run.failed',
  'conditions.paused',
  'conditions.resumed',
  'run.paused',
  'run.resumed',
  'module.excluded',
  'module.included',
  'prompt.answered',
  'prompt.answer-cli',
  'prompt.answer-web',
  'prompt.answer-slack',
] as const;

function authorOf(kind: string, message: string, data: Record<string, unknown>): string {
  for (const k of ['by', 'answeredBy', 'requestedBy']) if (typeof data[k] === 'string' && data[k]) return data[k];
  if (kind.startsWith('prompt.answer-')) return /^(\S+) answered/.exec(message)?.[1] ?? AUTO_AUTHOR;
  return AUTO_AUTHOR;
}

async function runEndSummary(ws: Workspace, runId: number | null): Promise<string> {
  if (runId === null) return '';
  const modules = await runVerdicts(ws, runId);
  if (!modules.length) return '';
  const counts = verdictCounts(modules);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '',
    '',
    `**Modules:** ${counts.pass} pass, ${counts.marginal} marginal, ${counts.fail} fail, ${counts.notJudged} not judged`,
    '',
    '| Port | D-Egg | State | Verdict | Why |',
    '| --- | --- | --- | --- | --- |',
    ...modules.map(
      (m) =>
        `| ${m.port} | ${cell(m.serial)} | ${cell(m.state === 'excluded' ? `excluded: ${m.stateReason ?? ''}` : m.state)} | ${m.verdict} | ${cell(m.reasons.join('; ') || '-')} |`,
    ),
  ].join('\n');
}

/** An event's data; a corrupt one (written by hand, cut short) must not stop the logbook. */
function dataOf(text: string): Record<string, unknown> {
  try {
    const v = parseJson<unknown>(text, 'event data');
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Turns the events not yet seen into entries; returns how many entries it made. */
export async function syncAutoEntries(ws: Workspace): Promise<number> {
  const cursor = await ws.db.selectFrom('logbook_sync').select('last_event_id').where('name', '=', CURSOR).executeTakeFirst();
  const from = cursor?.last_event_id ?? 0;
  const top = await ws.db
    .selectFrom('events')
    .select((e) => e.fn.max('id').as('id'))
    .executeTakeFirst();
  const to = Number(top?.id ?? 0);
  if (to <= from) return 0;
  const events = await ws.db
    .selectFrom('events')
    .selectAll()
    .where('id', '>', from)
    .where('id', '<=', to)
    .where((eb) => eb.or([eb('kind', 'in', [...AUTO_EVENT_KINDS]), eb('kind', 'like', 'operator.%')]))
    .orderBy('id')
    .execute();
  // an event may name a run that is not (or no longer) in the store: its entry is then on no run
  const runIds = [...new Set(events.map((e) => e.run_id).filter((r): r is number => r !== null))];
  const known = new Set(
    runIds.length ? (await ws.db.selectFrom('runs').select('id').where('id', 'in', runIds).execute()).map((r) => r.id) : [],
  );
  let made = 0;
  for (const ev of events) {
    const data = dataOf(ev.data);
    const runId = ev.run_id !== null && known.has(ev.run_id) ? ev.run_id : null;
    const kind = entryKindOf(ev.kind, data);
    if (!kind) continue;
    let text = ev.message;
    if (typeof data.detail === 'string' && data.detail.trim()) text += `\n\n\`\`\`\n${data.detail.replace(/```/g, "'''")}\n\`\`\``;
    if (kind === 'run-end') text += await runEndSummary(ws, runId);
    const r = await ws.db
      .insertInto('logbook_entries')
      .values({
        station: ev.station,
        run_id: runId,
        author: authorOf(ev.kind, ev.message, data),
        created_at: ev.time,
        text,
        tags: JSON.stringify(['auto', kind]),
        source: 'auto',
        kind,
        event_id: ev.id,
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .executeTakeFirst();
    made += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  await ws.db
    .insertInto('logbook_sync')
    .values({ name: CURSOR, last_event_id: to })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        last_event_id: sql<number>`case when excluded.last_event_id > logbook_sync.last_event_id then excluded.last_event_id else logbook_sync.last_event_id end`,
      }),
    )
    .execute();
  return made;
}

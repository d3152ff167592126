import type { Workspace } from '../station/workspace.js';
import { nowIso } from '../store/open.js';
import { LEVEL_RANK } from './console-sink.js';
import type { FatEvent } from '../station/events.js';

/**
 * Turning an event into Slack messages waiting in the store's outbox. The sender drains the
 * outbox; writing here first means a Slack outage, a crash or a restart loses nothing.
 *
 * Text: "[station run N] message", so a channel shared by several stations (issue 6), or read
 * days later, says which station and which run (just "[station]" for events of no run).
 * Errors and critical events addressed to people start with `<!channel>`, Slack's real
 * @channel mention (the original typed "@channel - " into the text, which the Web API does not
 * turn into a notification); warnings reach the shifter and expert by DM without waking the
 * whole channel, as the original's warnings without "@channel" did. The trace follows in a code
 * block, capped so a long one cannot make Slack reject the message.
 */
export const MAX_DETAIL_CHARS = 3000;

export function slackText(station: string, runNumber: number | null, e: FatEvent): string {
  const mention = e.audience === 'people' && LEVEL_RANK[e.level] >= LEVEL_RANK.error ? '<!channel> ' : '';
  const label = runNumber === null ? station : `${station} run ${runNumber}`;
  let text = `${mention}[${escapeSlack(label)}] ${escapeSlack(e.message)}`;
  if (e.detail && e.detail.trim() !== '') {
    let detail = e.detail.replace(/\s+$/, '');
    if (detail.length > MAX_DETAIL_CHARS)
      detail = `${detail.slice(0, MAX_DETAIL_CHARS)}\n… (${detail.length - MAX_DETAIL_CHARS} more characters in the run log)`;
    // a ``` inside the trace would end the code block early
    text += `\n\`\`\`\n${escapeSlack(detail).replace(/```/g, "'''")}\n\`\`\``;
  }
  return text;
}

/** Slack reads &, < and > as markup (links, mentions); text from traces must not be. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 'channel' for the channel, 'dm:<user id>' for each person; none for log-only events */
export function slackTargets(slack: Workspace['station']['slack'], e: FatEvent): string[] {
  if (!slack || (e.audience !== 'channel' && e.audience !== 'people')) return [];
  const targets = ['channel'];
  if (e.audience === 'people') {
    for (const id of [slack.shifter, slack.expert]) {
      const t = `dm:${id.trim()}`;
      if (id.trim() !== '' && !targets.includes(t)) targets.push(t);
    }
  }
  return targets;
}

/**
 * Queues the event's Slack messages (nothing for log-only events or a station without Slack).
 * Returns the new outbox ids, in the order they must go out. With `card`, the channel's message is
 * that prompt's card with Yes/No buttons (slack-cards.ts) instead of plain text.
 */
export async function enqueueSlack(
  ws: Pick<Workspace, 'db' | 'station'>,
  runId: number | null,
  e: FatEvent,
  nowMs: number = Date.now(),
  card?: { promptId: number },
): Promise<number[]> {
  const targets = slackTargets(ws.station.slack, e);
  if (targets.length === 0) return [];
  const run = runId === null ? undefined : await ws.db.selectFrom('runs').select('run_number').where('id', '=', runId).executeTakeFirst();
  const text = slackText(ws.station.name, run?.run_number ?? null, e);
  // wall time, not lab time: retries and rate limits are about the real Slack
  const now = nowIso(nowMs);
  return ws.db.transaction().execute(async (tx) => {
    const ids: number[] = [];
    for (const target of targets) {
      const row = await tx
        .insertInto('outbox')
        .values({
          station: ws.station.name,
          run_id: runId,
          target,
          text,
          created_at: now,
          state: 'pending',
          attempts: 0,
          next_attempt_at: now,
          ...(card && target === 'channel' ? { card: 'prompt' as const, prompt_id: card.promptId } : {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    return ids;
  });
}

/** Slack messages of this station still waiting: how many, when the oldest was queued, the latest error. */
export async function outboxBacklog(
  ws: Pick<Workspace, 'db' | 'station'>,
): Promise<{ count: number; oldest: string | null; lastError: string | null }> {
  const pending = ws.db.selectFrom('outbox').where('station', '=', ws.station.name).where('state', '=', 'pending');
  const r = await pending
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .executeTakeFirstOrThrow();
  const last = await pending.select('last_error').where('last_error', 'is not', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return { count: Number(r.n), oldest: r.oldest ?? null, lastError: last?.last_error ?? null };
}

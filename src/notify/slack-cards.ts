import type { KnownBlock } from '@slack/types';
import type { Workspace } from '../station/workspace.js';
import { escapeSlack } from './slack-outbox.js';

/**
 * A prompt's card in the Slack channel: the question with Yes and No buttons, posted through the
 * outbox in order with the other channel messages, and updated (buttons gone, who answered and
 * how) once the prompt is answered from anywhere. The buttons name the station and the prompt, so
 * a click on an old card can never answer a newer prompt, and a restarted master keeps the card it
 * posted before instead of posting another.
 */
export const ACTION_YES = 'fat_prompt_yes';
export const ACTION_NO = 'fat_prompt_no';

export interface ButtonValue {
  station: string;
  promptId: number;
}

export function buttonValue(v: ButtonValue): string {
  return JSON.stringify({ s: v.station, p: v.promptId });
}

export function parseButtonValue(raw: unknown): ButtonValue | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as { s?: unknown; p?: unknown };
    return typeof v.s === 'string' && Number.isInteger(v.p) ? { station: v.s, promptId: v.p as number } : undefined;
  } catch {
    return undefined;
  }
}

type PromptRow = {
  id: number;
  station: string;
  message: string;
  answer: string | null;
  reason: string | null;
  answered_by: string | null;
  via: string | null;
  answered_at: string | null;
};

const VIA = { cli: 'with `fat answer`', web: 'in the browser', slack: 'in Slack', terminal: "at the master's terminal" } as Record<
  string,
  string
>;

/** The open card: the message's text (as the notification shows it) and the buttons. */
export function openCardBlocks(text: string, p: PromptRow): KnownBlock[] {
  const value = buttonValue({ station: p.station, promptId: p.id });
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      block_id: `fat_prompt_${p.id}`,
      elements: [
        { type: 'button', action_id: ACTION_YES, style: 'primary', text: { type: 'plain_text', text: 'Yes, continue' }, value },
        { type: 'button', action_id: ACTION_NO, style: 'danger', text: { type: 'plain_text', text: 'No, stop the run' }, value },
      ],
    },
  ];
}

/** What the card says once answered: who, how, when, and why for a "no". */
export function answeredLine(p: PromptRow): string {
  if (p.via === 'closed') return `Closed by icefat at ${p.answered_at}: ${p.reason ?? 'not needed any more'}`;
  const how = VIA[p.via ?? ''] ?? `(${p.via ?? '?'})`;
  const line = `Answered *${p.answer ?? '?'}* by ${p.answered_by ?? 'someone'} ${how} at ${p.answered_at}`;
  return p.answer === 'no' ? `${line}; the run stops: ${p.reason ?? 'no reason given'}` : line;
}

export function answeredCardBlocks(text: string, p: PromptRow): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(answeredLine(p)) }] },
  ];
}

/** A card for this prompt is queued or posted already (a restarted master announces the prompt again). */
export async function hasCard(ws: Pick<Workspace, 'db' | 'station'>, promptId: number): Promise<boolean> {
  const r = await ws.db
    .selectFrom('outbox')
    .select('id')
    .where('station', '=', ws.station.name)
    .where('card', '=', 'prompt')
    .where('prompt_id', '=', promptId)
    .where('state', '!=', 'failed')
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * Queues the update of the prompt's card (once per prompt): after the answer, or when a click on a
 * card shows it was answered (or closed) without the card being told.
 */
export async function queueCardUpdate(ws: Pick<Workspace, 'db' | 'station'>, runId: number | null, promptId: number, text: string) {
  const station = ws.station.name;
  const queued = await ws.db
    .selectFrom('outbox')
    .select('id')
    .where('station', '=', station)
    .where('card', '=', 'prompt-answered')
    .where('prompt_id', '=', promptId)
    .executeTakeFirst();
  if (queued || !(await hasCard(ws, promptId))) return false;
  const now = new Date().toISOString();
  await ws.db
    .insertInto('outbox')
    .values({
      station,
      run_id: runId,
      target: 'channel',
      text,
      created_at: now,
      state: 'pending',
      attempts: 0,
      next_attempt_at: now,
      card: 'prompt-answered',
      prompt_id: promptId,
    })
    .execute();
  return true;
}

/** The prompt a card row names, for building its blocks when it is sent. */
export async function promptOfCard(ws: Pick<Workspace, 'db'>, promptId: number): Promise<PromptRow | undefined> {
  return ws.db
    .selectFrom('prompts')
    .select(['id', 'station', 'message', 'answer', 'reason', 'answered_by', 'via', 'answered_at'])
    .where('id', '=', promptId)
    .executeTakeFirst();
}

/** Where the prompt's card landed, once posted. */
export async function postedCard(ws: Pick<Workspace, 'db' | 'station'>, promptId: number) {
  return ws.db
    .selectFrom('outbox')
    .select(['slack_channel', 'slack_ts', 'text'])
    .where('station', '=', ws.station.name)
    .where('card', '=', 'prompt')
    .where('prompt_id', '=', promptId)
    .where('state', '=', 'sent')
    .where('slack_ts', 'is not', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

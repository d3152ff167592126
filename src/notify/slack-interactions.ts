import type { View } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Workspace } from '../station/workspace.js';
import { AnswerError, alreadyAnswered, answerOpenPrompt } from '../engine/answer-open.js';
import { OperatorActionError, requestAction } from '../engine/operator-actions.js';
import { ACTION_NO, ACTION_YES, parseButtonValue, queueCardUpdate } from './slack-cards.js';
import type { SlackOperators } from './slack-operators.js';
import { blockActions, inputValue, messageAction, slackWho, slashCommand, viewSubmission } from './slack-payloads.js';

/**
 * What a click, a modal, a message shortcut or a slash command in Slack does. Every one is checked
 * against the station's operators first (anyone else gets an ephemeral refusal), then goes through
 * the same functions as `fat answer` and `fat pause|resume|abort`, recorded with the Slack user and
 * `via = 'slack'`, so the master sees it, dedupes it and announces it like any other answer.
 *
 * Returns what to acknowledge Slack with: nothing, a slash command's reply (shown to that user
 * only), or a modal's field errors.
 */
export type Ack = Record<string, unknown> | undefined;

export interface InteractionScope {
  ws: Workspace;
  client: WebClient;
  operators: SlackOperators;
  /** called after the ack of a click, for the work that may take longer than Slack waits */
  later: (work: () => Promise<void>) => void;
}

export const PROMPT_NO_VIEW = 'fat_prompt_no';
export const ACTION_REASON_VIEW = 'fat_action_reason';
/** message shortcuts, as configured in the Slack app */
export const SHORTCUTS = { fat_pause: 'pause', fat_resume: 'resume', fat_abort: 'abort' } as const;

type Operator = 'pause' | 'resume' | 'abort';

const USAGE =
  'Usage: `/fat pause REASON`, `/fat resume`, `/fat abort REASON` (the master acts at its next task boundary; an abort also stops the running task at its next safe point)';

export async function handleInteractive(s: InteractionScope, body: unknown): Promise<Ack> {
  const type = (body as { type?: unknown } | null)?.type;
  if (type === 'block_actions') {
    const p = blockActions.parse(body);
    s.later(() => onButtons(s, p));
    return undefined;
  }
  if (type === 'view_submission') return onSubmission(s, viewSubmission.parse(body));
  if (type === 'message_action') {
    const p = messageAction.parse(body);
    s.later(() => onShortcut(s, p));
    return undefined;
  }
  return undefined;
}

async function ephemeral(s: InteractionScope, channel: string | undefined, user: string, text: string): Promise<void> {
  if (!channel) return;
  await s.client.chat.postEphemeral({ channel, user, text });
}

async function onButtons(s: InteractionScope, p: ReturnType<typeof blockActions.parse>): Promise<void> {
  const channel = p.channel?.id;
  for (const action of p.actions) {
    if (action.action_id !== ACTION_YES && action.action_id !== ACTION_NO) continue;
    const v = parseButtonValue(action.value);
    if (!v) continue;
    const station = s.ws.station.name;
    if (v.station !== station) {
      await ephemeral(
        s,
        channel,
        p.user.id,
        `This card is station ${v.station}'s, and this Slack app's connection is station ${station}'s master: give each station its own Slack app, or answer with \`fat answer\` on ${v.station}. Nothing was changed.`,
      );
      continue;
    }
    const allowed = await s.operators.check(p.user.id);
    if (!allowed.ok) {
      await ephemeral(s, channel, p.user.id, allowed.why);
      continue;
    }
    const prompt = await s.ws.db
      .selectFrom('prompts')
      .selectAll()
      .where('id', '=', v.promptId)
      .where('station', '=', station)
      .executeTakeFirst();
    if (!prompt) {
      await ephemeral(s, channel, p.user.id, `Station ${station} has no prompt ${v.promptId}. Nothing was changed.`);
      continue;
    }
    if (prompt.answered_at) {
      // its card missed the news (closed while no master ran): tell it now
      await queueCardUpdate(s.ws, prompt.run_id, prompt.id, prompt.message);
      await ephemeral(s, channel, p.user.id, capital(alreadyAnswered(prompt)));
      continue;
    }
    if (action.action_id === ACTION_NO) {
      if (!p.trigger_id) continue;
      await s.client.views.open({ trigger_id: p.trigger_id, view: noView(prompt.message, v, channel) });
      continue;
    }
    try {
      await answerOpenPrompt(s.ws, {
        answer: 'yes',
        reason: null,
        by: slackWho(p.user.id, p.user.name ?? p.user.username),
        via: 'slack',
        promptId: prompt.id,
      });
    } catch (e) {
      if (!(e instanceof AnswerError)) throw e;
      await ephemeral(s, channel, p.user.id, capital(e.message));
    }
  }
}

function noView(message: string, v: { station: string; promptId: number }, channel: string | undefined): View {
  return {
    type: 'modal',
    callback_id: PROMPT_NO_VIEW,
    private_metadata: JSON.stringify({ s: v.station, p: v.promptId, c: channel ?? null }),
    title: { type: 'plain_text', text: 'Stop the run?' },
    submit: { type: 'plain_text', text: 'Stop the run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: `"No" to: ${message}\nThe run stops cleanly and stays recoverable.` } },
      reasonInput('Why? (recorded and told to the channel)'),
    ],
  };
}

function reasonView(action: Operator, channel: string | undefined, initial?: string): View {
  return {
    type: 'modal',
    callback_id: ACTION_REASON_VIEW,
    private_metadata: JSON.stringify({ a: action, c: channel ?? null }),
    title: { type: 'plain_text', text: action === 'pause' ? 'Pause the run' : 'Abort the run' },
    submit: { type: 'plain_text', text: action === 'pause' ? 'Pause' : 'Abort' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      reasonInput(
        action === 'pause' ? 'Why pause? (recorded and told to the channel)' : 'Why abort? (recorded and told to the channel)',
        initial,
      ),
    ],
  };
}

function reasonInput(label: string, initial?: string): View['blocks'][number] {
  return {
    type: 'input',
    block_id: 'reason',
    label: { type: 'plain_text', text: label },
    element: {
      type: 'plain_text_input',
      action_id: 'reason',
      multiline: true,
      max_length: 1000,
      ...(initial ? { initial_value: initial.slice(0, 1000) } : {}),
    },
  };
}

async function onSubmission(s: InteractionScope, p: ReturnType<typeof viewSubmission.parse>): Promise<Ack> {
  const { callback_id } = p.view;
  if (callback_id !== PROMPT_NO_VIEW && callback_id !== ACTION_REASON_VIEW) return undefined;
  const refuse = (why: string): Ack => ({ response_action: 'errors', errors: { reason: why.slice(0, 1900) } });
  const allowed = await s.operators.check(p.user.id);
  if (!allowed.ok) return refuse(allowed.why);
  const meta = parseMeta(p.view.private_metadata);
  const reason = inputValue(p.view.state.values, 'reason');
  const by = slackWho(p.user.id, p.user.name ?? p.user.username);
  if (callback_id === PROMPT_NO_VIEW) {
    if (meta.s !== s.ws.station.name || !Number.isInteger(meta.p)) return refuse(`this form is not station ${s.ws.station.name}'s`);
    if (!reason) return refuse('"no" stops the run: a reason is needed');
    try {
      await answerOpenPrompt(s.ws, { answer: 'no', reason, by, via: 'slack', promptId: meta.p as number });
      return undefined;
    } catch (e) {
      if (e instanceof AnswerError) return refuse(capital(e.message));
      throw e;
    }
  }
  const action = meta.a;
  if (action !== 'pause' && action !== 'abort') return refuse('this form asks for nothing icefat knows');
  try {
    const r = await requestAction(s.ws, { action, reason, by, via: 'slack' });
    const channel = typeof meta.c === 'string' ? meta.c : undefined;
    s.later(() => ephemeral(s, channel, p.user.id, r.message));
    return undefined;
  } catch (e) {
    if (e instanceof OperatorActionError) return refuse(e.message);
    throw e;
  }
}

async function onShortcut(s: InteractionScope, p: ReturnType<typeof messageAction.parse>): Promise<void> {
  const action = (SHORTCUTS as Record<string, Operator | undefined>)[p.callback_id];
  if (!action) return;
  const channel = p.channel?.id;
  const allowed = await s.operators.check(p.user.id);
  if (!allowed.ok) return ephemeral(s, channel, p.user.id, allowed.why);
  if (action === 'resume') {
    const text = await operate(s, action, null, slackWho(p.user.id, p.user.name ?? p.user.username));
    return ephemeral(s, channel, p.user.id, text);
  }
  if (!p.trigger_id) return;
  // the message the shortcut was used on is the likely reason: offered, editable
  await s.client.views.open({ trigger_id: p.trigger_id, view: reasonView(action, channel, p.message?.text) });
}

/** `/fat pause REASON`, `/fat resume`, `/fat abort REASON`: the reply is the ack, shown to the caller only. */
export async function handleSlashCommand(s: InteractionScope, body: unknown): Promise<Ack> {
  const p = slashCommand.parse(body);
  const [word = '', ...rest] = p.text.trim().split(/\s+/);
  const action = word.toLowerCase();
  if (action !== 'pause' && action !== 'resume' && action !== 'abort')
    return reply(`${word ? `\`${word}\` is not an action. ` : ''}${USAGE}`);
  const allowed = await s.operators.check(p.user_id);
  if (!allowed.ok) return reply(allowed.why);
  return reply(await operate(s, action, rest.join(' ') || null, slackWho(p.user_id, p.user_name)));
}

async function operate(s: InteractionScope, action: Operator, reason: string | null, by: string): Promise<string> {
  try {
    return (await requestAction(s.ws, { action, reason, by, via: 'slack' })).message;
  } catch (e) {
    if (e instanceof OperatorActionError) return `${e.message}. Nothing was changed.`;
    throw e;
  }
}

const reply = (text: string): Ack => ({ response_type: 'ephemeral', text });

function parseMeta(raw: string): Record<string, unknown> {
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const capital = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

import type { Workspace } from '../station/workspace.js';
import { recordEvent } from '../records/check-results.js';
import { answerPrompt, openPromptOf } from './prompts.js';

/**
 * Answers the station's open prompt, as `fat answer`, `POST /api/prompt/answer` and the buttons
 * of a prompt's Slack card do: the answer row (who, how, why) and an event naming who answered.
 * "no" needs a reason: the run stops. Whoever answers first wins; a later answer changes nothing.
 */
export interface OpenAnswer {
  answer: 'yes' | 'no';
  reason: string | null;
  by: string;
  via: 'cli' | 'web' | 'slack';
  /** this prompt only (a Slack card's buttons name theirs): refused once it is answered, even if another is open */
  promptId?: number;
}

export class AnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerError';
  }
}

const HOW = { cli: 'with fat answer', web: 'in the browser', slack: 'in Slack' } as const;

export async function answerOpenPrompt(ws: Workspace, a: OpenAnswer) {
  const prompt = a.promptId === undefined ? await openPromptOf(ws) : await promptOfStation(ws, a.promptId);
  if (!prompt) throw new AnswerError(`no prompt is open on station ${ws.station.name}: nothing was answered`);
  if (prompt.answered_at) throw new AnswerError(alreadyAnswered(prompt));
  if (a.answer === 'no' && !a.reason) throw new AnswerError('"no" stops the run: a reason is needed');
  const ok = await answerPrompt(ws, prompt.id, { answer: a.answer, reason: a.reason, answeredBy: a.by, via: a.via });
  if (!ok) {
    const now = await promptOfStation(ws, prompt.id);
    throw new AnswerError(now ? alreadyAnswered(now) : 'the prompt was answered by someone else a moment ago; nothing changed');
  }
  await recordEvent(
    ws,
    prompt.run_id,
    'info',
    `prompt.answer-${a.via}`,
    `${a.by} answered ${a.answer} to "${prompt.message}" ${HOW[a.via]}`,
    {
      reason: a.reason,
    },
  );
  return prompt;
}

async function promptOfStation(ws: Workspace, id: number) {
  return ws.db.selectFrom('prompts').selectAll().where('id', '=', id).where('station', '=', ws.station.name).executeTakeFirst();
}

/** "already answered yes by bob (cli) at ...": nothing was changed */
export function alreadyAnswered(p: {
  answer: string | null;
  answered_by: string | null;
  via: string | null;
  answered_at: string | null;
}): string {
  if (p.via === 'closed') return `this prompt was closed by icefat at ${p.answered_at} (its task will not run); nothing was changed`;
  return `this prompt was already answered ${p.answer ?? ''} by ${p.answered_by ?? 'someone'} (${p.via ?? '?'}) at ${p.answered_at}; nothing was changed`;
}

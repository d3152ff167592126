import type { Workspace } from '../station/workspace.js';
import { recordEvent } from '../records/check-results.js';
import { answerPrompt, openPromptOf } from './prompts.js';

/**
 * Answers the station's open prompt, as `fat answer` and `POST /api/prompt/answer` do: the answer
 * row (who, how, why) and an event naming who answered. "no" needs a reason: the run stops.
 */
export interface OpenAnswer {
  answer: 'yes' | 'no';
  reason: string | null;
  by: string;
  via: 'cli' | 'web';
}

export class AnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerError';
  }
}

export async function answerOpenPrompt(ws: Workspace, a: OpenAnswer) {
  const prompt = await openPromptOf(ws);
  if (!prompt) throw new AnswerError(`no prompt is open on station ${ws.station.name}: nothing was answered`);
  if (a.answer === 'no' && !a.reason) throw new AnswerError('"no" stops the run: a reason is needed');
  const ok = await answerPrompt(ws, prompt.id, { answer: a.answer, reason: a.reason, answeredBy: a.by, via: a.via });
  if (!ok) throw new AnswerError('the prompt was answered by someone else a moment ago; nothing changed');
  const how = a.via === 'cli' ? 'with fat answer' : 'in the browser';
  await recordEvent(ws, prompt.run_id, 'info', `prompt.answer-${a.via}`, `${a.by} answered ${a.answer} to "${prompt.message}" ${how}`, {
    reason: a.reason,
  });
  return prompt;
}

import os from 'node:os';
import { confirm, isCancel, text } from '@clack/prompts';
import type { Workspace } from '../station/workspace.js';
import type { PromptAnswer } from '../tasks/types.js';
import { nowIso } from '../store/open.js';

/**
 * Durable prompts: a question to a person is a row in the store. It survives a restart of the
 * master, and whoever answers first wins: the master's terminal, `fat answer` from any terminal,
 * or (later) the browser. The record keeps who answered, when, how and what.
 */
export const POLL_MS = 500;

export function operatorName(): string {
  return process.env.FAT_OPERATOR ?? process.env.USER ?? os.userInfo().username ?? 'unknown';
}

/**
 * Opens a prompt for a task, or returns the one it already had before a restart: still open, or
 * answered "yes" (e.g. with `fat answer` while no master ran) for an attempt that a crash or a
 * stop cut short, so the person is not asked twice. A "no", or a "yes" the task went on to finish
 * with, is never reused: the question is asked again.
 */
export async function openPrompt(
  ws: Workspace,
  runId: number,
  taskId: number,
  kind: string,
  message: string,
  labNowMs: number,
): Promise<number> {
  const latest = await ws.db
    .selectFrom('prompts')
    .select(['id', 'answered_at', 'answer'])
    .where('task_id', '=', taskId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (latest && !latest.answered_at) return latest.id;
  if (latest?.answer === 'yes') {
    // attempts, newest first: [0] is the one running now, [1] the one before it
    const attempts = await ws.db
      .selectFrom('task_attempts')
      .select(['outcome'])
      .where('task_id', '=', taskId)
      .orderBy('attempt', 'desc')
      .limit(2)
      .execute();
    const previous = attempts[1]?.outcome;
    if (previous === 'superseded' || previous === 'interrupted') return latest.id;
  }
  const row = await ws.db
    .insertInto('prompts')
    .values({ station: ws.station.name, run_id: runId, task_id: taskId, kind, message, opened_at: nowIso(labNowMs) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function openPromptOf(ws: Workspace) {
  return ws.db
    .selectFrom('prompts')
    .selectAll()
    .where('station', '=', ws.station.name)
    .where('answered_at', 'is', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Answers a prompt if nobody has yet; returns false when it was already answered. */
export async function answerPrompt(ws: Workspace, promptId: number, a: PromptAnswer): Promise<boolean> {
  const r = await ws.db
    .updateTable('prompts')
    .set({ answer: a.answer, reason: a.reason, answered_by: a.answeredBy, via: a.via, answered_at: nowIso(ws.clock.now()) })
    .where('id', '=', promptId)
    .where('answered_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

async function readAnswer(ws: Workspace, promptId: number): Promise<PromptAnswer | undefined> {
  const p = await ws.db.selectFrom('prompts').selectAll().where('id', '=', promptId).executeTakeFirstOrThrow();
  if (!p.answered_at || !p.answer) return undefined;
  return { answer: p.answer, reason: p.reason, answeredBy: p.answered_by ?? 'unknown', via: p.via ?? 'unknown' };
}

/** Asks at this process's terminal; an answer there is written like any other. */
async function askAtTerminal(ws: Workspace, promptId: number, message: string, signal: AbortSignal): Promise<void> {
  const yes = await confirm({ message: `${message}\n  DAQ is paused - Ready to continue?`, signal });
  if (isCancel(yes) || signal.aborted) return;
  let reason: string | null = null;
  if (!yes) {
    const r = await text({
      message: 'Stopping the run. Please provide a reason:',
      validate: (v) => (v?.trim() ? undefined : 'a reason is needed'),
      signal,
    });
    if (isCancel(r) || signal.aborted) return;
    reason = r.trim();
  }
  await answerPrompt(ws, promptId, { answer: yes ? 'yes' : 'no', reason, answeredBy: operatorName(), via: 'terminal' });
}

export async function waitForAnswer(
  ws: Workspace,
  promptId: number,
  message: string,
  signal: AbortSignal,
  interactive: boolean,
): Promise<PromptAnswer> {
  const stopAsking = new AbortController();
  const onAbort = () => stopAsking.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const asking = interactive ? askAtTerminal(ws, promptId, message, stopAsking.signal).catch(() => undefined) : Promise.resolve();
  try {
    for (;;) {
      const a = await readAnswer(ws, promptId);
      if (a) return a;
      signal.throwIfAborted();
      // wall: a person answers in wall time (a dry run answers before it asks, and never polls)
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    stopAsking.abort();
    signal.removeEventListener('abort', onAbort);
    await asking;
  }
}

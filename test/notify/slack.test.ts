import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/station/workspace.js';
import { createNotifier, type Notifier, type NotifierOptions } from '../../src/notify/index.js';
import { SlackSender } from '../../src/notify/slack-sender.js';
import type { FatEvent } from '../../src/station/events.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { captureStream, tempWorkspace } from './workspace.js';

const TOKEN = 'xoxb-1234-5678-test-token-abcdef';
const fast = { backoff: { initialMs: 20, maxMs: 100 }, pollMs: 20 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(fake: FakeSlack | null, slack?: Parameters<typeof tempWorkspace>[0]) {
  const { ws, runId } = await tempWorkspace(slack);
  cleanups.push(() => ws.close());
  return { ws, runId };
}

async function notifier(ws: Workspace, runId: number, apiUrl: string, extra: Partial<NotifierOptions> = {}, token = TOKEN) {
  const out = captureStream();
  const n = await createNotifier(ws, runId, {
    console: { stream: out.stream },
    slack: {
      config: { state: 'on', token, channel: 'C-FAT', shifter: 'U-SHIFTER', expert: 'U-EXPERT', source: 'test' },
      sender: { apiUrl, ...fast },
    },
    ...extra,
  });
  cleanups.push(() => n.close({ flushMs: 0 }));
  return { n, console: out };
}

function ev(message: string, audience: FatEvent['audience'] = 'channel', level: FatEvent['level'] = 'info', detail?: string): FatEvent {
  return {
    level,
    kind: 'task.start',
    message,
    timeMs: Date.UTC(2026, 2, 1, 12, 0, 0),
    runId: null,
    audience,
    ...(detail ? { detail } : {}),
  };
}

async function outbox(ws: Workspace) {
  return ws.db.selectFrom('outbox').selectAll().orderBy('id').execute();
}

async function deadUrl(): Promise<string> {
  const f = await startFakeSlack();
  await f.close();
  return f.url;
}

describe('Slack through the outbox', () => {
  it('a Slack API that answers 429 and 500 for a while still receives every message, in order, once', async () => {
    const fake = await startFakeSlack({ rateLimited: 2, retryAfterS: 1, serverErrors: 3 });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const { n } = await notifier(ws, runId, fake.url);

    const texts = Array.from({ length: 12 }, (_, i) => `task ${i} now running`);
    for (const t of texts) n.emit(ev(t));
    expect(await n.flush(15_000)).toBe(true);

    expect(fake.calls.filter((c) => c.status === 429)).toHaveLength(2);
    expect(fake.calls.filter((c) => c.status === 500)).toHaveLength(3);
    expect(fake.messages.map((m) => m.text)).toEqual(texts.map((t) => `[sim-station run 42] ${t}`));
    expect(fake.messages.every((m) => m.channel === 'C-FAT')).toBe(true);
    const rows = await outbox(ws);
    expect(rows.every((r) => r.state === 'sent' && r.last_error === null)).toBe(true);
    // the messages that met the failures needed more than one attempt
    expect(rows[0].attempts).toBeGreaterThan(1);
  });

  it('waits out Retry-After before it calls Slack again', async () => {
    const fake = await startFakeSlack({ rateLimited: 1, retryAfterS: 1 });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const { n } = await notifier(ws, runId, fake.url);
    const t0 = Date.now();
    n.emit(ev('one'));
    n.emit(ev('two'));
    expect(await n.flush(10_000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200, 200]);
    expect(fake.messages.map((m) => m.text)).toEqual(['[sim-station run 42] one', '[sim-station run 42] two']);
  });

  it('delivers after a restart the messages queued while Slack was down, before the new ones', async () => {
    const { ws, runId } = await setup(null);
    const first = await notifier(ws, runId, await deadUrl());
    for (let i = 0; i < 5; i++) first.n.emit(ev(`queued ${i}`));
    expect(await first.n.flush(300)).toBe(false);
    await first.n.close({ flushMs: 0 });

    const waiting = await outbox(ws);
    expect(waiting).toHaveLength(5);
    expect(waiting.every((r) => r.state === 'pending')).toBe(true);
    expect(waiting[0].attempts).toBeGreaterThanOrEqual(1);
    expect(waiting[0].last_error).toMatch(/cannot reach Slack/);
    expect(first.console.text()).toMatch(/Slack did not take a message/);

    // the master comes back (a new process: a new sender on the same store), Slack is up again
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const second = await notifier(ws, runId, fake.url);
    second.n.emit(ev('after restart'));
    expect(await second.n.flush(10_000)).toBe(true);
    expect(fake.messages.map((m) => m.text)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `[sim-station run 42] queued ${i}`).concat('[sim-station run 42] after restart'),
    );
  });

  it('a bare SlackSender drains rows another process queued', async () => {
    const { ws, runId } = await setup(null);
    const queuer = await createNotifier(ws, runId, {
      console: false,
      slack: { config: { state: 'on', token: TOKEN, channel: 'C-FAT', shifter: '', expert: '', source: 'test' }, send: false },
    });
    queuer.emit(ev('answered from another terminal'));
    await queuer.close();
    expect((await outbox(ws)).map((r) => r.state)).toEqual(['pending']);

    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const sender = new SlackSender(ws, { token: TOKEN, apiUrl: fake.url, ...fast });
    expect(await sender.flush(5000)).toBe(true);
    expect(fake.messages.map((m) => m.text)).toEqual(['[sim-station run 42] answered from another terminal']);
  });

  it('sends warnings for people to the channel and as DMs to the shifter and the expert', async () => {
    const fake = await startFakeSlack({ serverErrors: 2 });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const { n } = await notifier(ws, runId, fake.url);

    n.emit(ev('D-Egg at port 5003 did not answer', 'people', 'warn', 'Error: timeout\n    at check (<anonymous>)'));
    n.emit(ev('run stopped automatically', 'people', 'error'));
    n.emit(ev('only in the log', 'log'));
    expect(await n.flush(10_000)).toBe(true);

    const byChannel = (c: string) => fake.messages.filter((m) => m.channel === c).map((m) => m.text.split('\n')[0]);
    for (const c of ['C-FAT', 'D-U-SHIFTER', 'D-U-EXPERT']) {
      expect(byChannel(c)).toEqual([
        '[sim-station run 42] D-Egg at port 5003 did not answer',
        '<!channel> [sim-station run 42] run stopped automatically',
      ]);
    }
    // the trace follows in a code block, with Slack's markup characters escaped
    expect(fake.messages[0].text).toContain('```\nError: timeout\n    at check (&lt;anonymous&gt;)\n```');
    // one conversations.open per person, cached afterwards (a failed open is retried)
    expect(new Set(fake.opened)).toEqual(new Set(['U-SHIFTER', 'U-EXPERT']));
    expect(fake.calls.filter((c) => c.method === 'conversations.open' && c.status === 200)).toHaveLength(2);
    expect(fake.messages.some((m) => m.text.includes('only in the log'))).toBe(false);
  });

  it('a DM to a person Slack does not know fails alone; the channel and the other person still get theirs', async () => {
    const fake = await startFakeSlack({ unknownUsers: ['U-GONE'] });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake, { channel: 'C-FAT', shifter: 'U-GONE', expert: 'U-EXPERT' });
    const out = captureStream();
    const n = await createNotifier(ws, runId, {
      console: { stream: out.stream },
      slack: { env: { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.url } }, sender: fast },
    });
    cleanups.push(() => n.close({ flushMs: 0 }));
    n.emit(ev('first', 'people', 'warn'));
    n.emit(ev('second', 'people', 'warn'));
    expect(await n.flush(5000)).toBe(true);
    const rows = await outbox(ws);
    expect(rows.map((r) => `${r.target} ${r.state}`)).toEqual([
      'channel sent',
      'dm:U-GONE failed',
      'dm:U-EXPERT sent',
      'channel sent',
      'dm:U-GONE failed',
      'dm:U-EXPERT sent',
    ]);
    expect(fake.messages.map((m) => `${m.channel} ${m.text}`)).toEqual([
      'C-FAT [sim-station run 42] first',
      'D-U-EXPERT [sim-station run 42] first',
      'C-FAT [sim-station run 42] second',
      'D-U-EXPERT [sim-station run 42] second',
    ]);
    // reported once, not once per message
    expect(out.text().match(/for good/g)).toHaveLength(1);
  });

  it('a message Slack refuses for good is marked failed and does not block the next ones', async () => {
    const fake = await startFakeSlack({ platformError: 'channel_not_found' });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const { n, console } = await notifier(ws, runId, fake.url);
    n.emit(ev('lost'));
    await n.flush(300);
    fake.set({});
    n.emit(ev('delivered'));
    expect(await n.flush(5000)).toBe(true);
    const rows = await outbox(ws);
    expect(rows.map((r) => r.state)).toEqual(['failed', 'sent']);
    expect(rows[0].last_error).toContain('channel_not_found');
    expect(fake.messages.map((m) => m.text)).toEqual(['[sim-station run 42] delivered']);
    expect(console.text()).toMatch(/refused a message for channel for good/);
  });

  it('never writes the token into the outbox, the events, the run log or the console, even when Slack echoes it', async () => {
    // not shaped like a Slack token, so only the scrubbing by value can catch it
    const token = 'T0KEN-secret-9f8e7d6c5b4a';
    const fake = await startFakeSlack({ serverErrors: 1000, echoToken: true });
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const { n, console } = await notifier(ws, runId, fake.url, {}, token);
    n.emit(ev(`someone pasted ${token} into a message`, 'people', 'error', `trace with ${token}`));
    await n.flush(400);
    await n.close({ flushMs: 0 });

    expect(fake.calls.length).toBeGreaterThan(1);
    expect(fake.calls.every((c) => c.status === 500)).toBe(true);
    const rows = await outbox(ws);
    expect(rows[0].last_error).toContain('[token]');
    const events = await ws.db.selectFrom('events').selectAll().execute();
    const everything = [JSON.stringify(rows), JSON.stringify(events), console.text(), fs.readFileSync(n.runLogFile!, 'utf8')].join('\n');
    expect(everything).toContain('Slack did not take a message');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('secret-9f8e7d6c5b4a');
  });

  it('sends no Slack when the token is missing and says so once', async () => {
    const { ws, runId } = await setup(null);
    const out = captureStream();
    const n = await createNotifier(ws, runId, { console: { stream: out.stream }, slack: { env: { env: {} } } });
    n.emit(ev('hello', 'people', 'warn'));
    await n.close();
    expect(n.slack.state).toBe('off');
    expect(n.sender).toBeNull();
    expect(out.text().match(/Slack is off: set SLACK_BOT_TOKEN or slack.token_file/g)).toHaveLength(1);
    expect(await outbox(ws)).toHaveLength(0);
  });

  it('takes the API address and token from SLACK_API_URL and SLACK_BOT_TOKEN', async () => {
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const { ws, runId } = await setup(fake);
    const n: Notifier = await createNotifier(ws, runId, {
      console: false,
      slack: { env: { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.url.replace(/\/$/, '') } }, sender: fast },
    });
    n.emit(ev('via the environment'));
    await n.close({ flushMs: 5000 });
    expect(fake.messages).toMatchObject([{ channel: 'C-FAT', text: '[sim-station run 42] via the environment', token: TOKEN }]);
    expect(fake.messages[0].metadata).toEqual({
      event_type: 'icefat_message',
      event_payload: { key: expect.stringMatching(/^icefat:sim-station:\d+$/) as string },
    });
  });
});

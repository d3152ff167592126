import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../helpers/fake-slack.js';
import { attachSocketMode, buttonClick, type FakeSocketMode } from '../helpers/fake-slack-socket.js';
import { openPrompt, query, setupRun, spawnFat as spawn, waitFor, writeSchedule, type Background } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Prompts answered from Slack (issue 16): the master opens a Socket Mode connection to a stand-in
 * for Slack on loopback, posts each prompt as a card with Yes/No buttons, and takes the answer of
 * an operator (a member of the user group, or a listed user id) from a click, as it would from
 * `fat answer`. Anyone else is refused; a dropped connection is made again; an answer from the CLI
 * first leaves the card's buttons without effect; a master killed and restarted keeps the card it
 * posted and takes its answer once.
 */
const BOT = 'xoxb-socket-test-123456';
const APP = 'xapp-1-socket-test-654321';
const ALICE = { id: 'UALICE', name: 'alice' }; // in the operators' user group
const LISTED = { id: 'U9LISTED', name: 'lee' }; // listed by id in station.toml
const MALLORY = { id: 'UMALLORY', name: 'mallory' }; // neither

describe('fat master takes prompts and operator actions from Slack (Socket Mode)', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let slack: FakeSlack;
  let socket: FakeSocketMode;
  const slackEnv = () => ({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_API_URL: slack.url });
  const cards = () => slack.messages.filter((m) => m.blocks?.length);
  const cardFor = (text: string) => waitFor(`the card "${text}"`, () => cards().find((m) => m.text.includes(text)), 60_000);
  const ephemeralTo = (user: string, text: string) =>
    waitFor(`an ephemeral to ${user}: ${text}`, () => slack.ephemerals.find((e) => e.user === user && e.text.includes(text)), 20_000);
  const updateOf = (card: FakeSlackMessage) => waitFor('the card updated', () => slack.updates.find((u) => u.ts === card.ts), 30_000);
  const command = (user: { id: string; name: string }, text: string) =>
    socket.send('slash_commands', { command: '/fat', text, user_id: user.id, user_name: user.name, channel_id: 'C1', trigger_id: 't' });
  const promptRow = (message: string) =>
    query<{ id: number; answer: string | null; answered_by: string | null; via: string | null }>(
      env.dir,
      'select id, answer, answered_by, via from prompts where message = ? order by id',
      message,
    );

  beforeAll(async () => {
    [env, slack] = await Promise.all([
      labWithHome(TEST_PORTS.masterSlackSocket, { timeScale: 50 }),
      startFakeSlack({ groups: { SOPS: [ALICE.id] } }),
    ]);
    socket = attachSocketMode(slack);
    await setupRun(env.run);
    fs.appendFileSync(
      path.join(env.dir, 'station.toml'),
      '\n[slack]\nchannel = "C1"\nsocket_mode = true\noperators_group = "SOPS"\noperators = ["U9LISTED"]\n',
    );
  }, 90_000);
  afterAll(async () => Promise.all([env?.close(), socket?.close(), slack?.close()]), 30_000);
  // a test that fails with its master still running must not leave the station held for the next
  const masters: Background[] = [];
  const spawnFat = (...args: Parameters<typeof spawn>) => {
    const m = spawn(...args);
    masters.push(m);
    return m;
  };
  afterEach(async () => {
    for (const m of masters.splice(0))
      if (m.child.exitCode === null && m.child.signalCode === null) {
        m.child.kill('SIGKILL');
        await m.done;
      }
  });

  it('a click answers the prompt and the master goes on; others are refused; it reconnects; /fat pause and resume', async () => {
    const ini = writeSchedule(env.dir, 'socket', [
      { name: 'wait_time_0', task: 'wait_time', pause: 60 },
      { name: 'manual_input_0', task: 'manual_input', message: 'Door closed?' },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'after the first answer' },
      { name: 'manual_input_1', task: 'manual_input', message: 'Lid on?' },
      { name: 'wait_time_1', task: 'wait_time', pause: 60 },
    ]);
    const master = spawnFat(env.dir, ['master', ini], slackEnv());
    await socket.waitForConnection(1, 60_000);
    const door = await cardFor('Door closed?');
    expect(door.channel).toBe('C1');

    // someone who is not an operator: refused, privately; nothing changes
    expect(await socket.send('interactive', buttonClick(door, 'yes', MALLORY))).toEqual({});
    const refusal = await ephemeralTo(MALLORY.id, 'Only members of <!subteam^SOPS>, <@U9LISTED> may answer');
    expect(refusal.channel).toBe('C1');
    const refusedCommand = await command(MALLORY, 'pause coffee');
    expect(refusedCommand.text).toMatch(/^Only members of <!subteam\^SOPS>.*Nothing was changed\.$/);
    expect(openPrompt(env.dir)?.message).toBe('Door closed?');
    expect(query(env.dir, 'select count(*) n from operator_requests')).toEqual([{ n: 0 }]);

    // a member of the group: the prompt is answered, recorded with the Slack user, and the run goes on
    await socket.send('interactive', buttonClick(door, 'yes', ALICE));
    await waitFor('the answer', () => promptRow('Door closed?')[0]?.answer);
    expect(promptRow('Door closed?')).toMatchObject([{ answer: 'yes', answered_by: 'alice (UALICE)', via: 'slack' }]);
    const lid = await cardFor('Lid on?');
    const doorUpdate = await updateOf(door);
    expect(JSON.stringify(doorUpdate.blocks)).toContain('Answered *yes* by alice (UALICE) in Slack');
    expect(doorUpdate.blocks?.some((b) => b.type === 'actions')).toBe(false);
    // its buttons do nothing any more
    await socket.send('interactive', buttonClick(door, 'yes', LISTED));
    await ephemeralTo(LISTED.id, 'This prompt was already answered yes by alice (UALICE) (slack)');
    expect(promptRow('Door closed?')).toHaveLength(1);

    // Slack drops the connection: the master connects again and the next card works through it
    socket.drop();
    await socket.waitForConnection(2, 60_000);
    const paused = await command(LISTED, 'pause checking the lid');
    expect(paused.text).toContain('lee (U9LISTED) (in Slack) paused run 1: checking the lid');
    const resumed = await command(ALICE, 'resume');
    expect(resumed.text).toContain('alice (UALICE) (in Slack) resumed run 1');
    expect(query(env.dir, 'select action, requested_by, via from operator_requests order by id')).toEqual([
      { action: 'pause', requested_by: 'lee (U9LISTED)', via: 'slack' },
      { action: 'resume', requested_by: 'alice (UALICE)', via: 'slack' },
    ]);
    expect((await command(ALICE, 'dance')).text).toContain('`dance` is not an action. Usage: `/fat pause REASON`');
    await socket.send('interactive', buttonClick(lid, 'yes', LISTED));

    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('Schedule Completed');
    expect(out).not.toContain(BOT);
    expect(out).not.toContain(APP);
    expect(promptRow('Lid on?')).toMatchObject([{ answer: 'yes', answered_by: 'lee (U9LISTED)', via: 'slack' }]);
    expect(JSON.stringify((await updateOf(lid)).blocks)).toContain('Answered *yes* by lee (U9LISTED) in Slack');
    // one card per prompt, the usual text for everything else; the channel says who answered
    expect(cards().map((c) => c.text.replace(/^\[sim-station run 1\] /, ''))).toEqual([
      expect.stringContaining('DAQ is waiting for manual input: Door closed?'),
      expect.stringContaining('DAQ is waiting for manual input: Lid on?'),
    ]);
    const channel = slack.messages.filter((m) => m.channel === 'C1').map((m) => m.text);
    expect(channel.filter((t) => t.includes('Manual input received from alice (UALICE) (slack)'))).toHaveLength(1);
    expect(query(env.dir, "select count(*) n from events where kind = 'prompt.answer-slack'")).toEqual([{ n: 2 }]);
    // the app token opened the connections, the bot token did everything else
    expect(slack.calls.filter((c) => c.method === 'apps.connections.open').length).toBeGreaterThanOrEqual(2);
    expect(slack.messages.every((m) => m.token === BOT)).toBe(true);
  }, 180_000);

  it('answered from the CLI first, then across a kill -9: one card per prompt, each answered once, "no" with its reason', async () => {
    slack.messages.length = 0;
    slack.updates.length = 0;
    const ini = writeSchedule(env.dir, 'socket-cli', [
      { name: 'manual_input_0', task: 'manual_input', message: 'Cable plugged?' },
      { name: 'wait_time_0', task: 'wait_time', pause: 60 },
      { name: 'manual_input_1', task: 'manual_input', message: 'Ready for the cold?' },
      { name: 'wait_time_1', task: 'wait_time', pause: 60 },
    ]);
    const first = spawnFat(env.dir, ['master', ini], slackEnv());
    const cable = await cardFor('Cable plugged?');
    const cli = await env.run(['answer', 'yes'], { FAT_OPERATOR: 'bob' });
    expect(cli.code, cli.stderr).toBe(0);
    const cableUpdate = await updateOf(cable);
    expect(JSON.stringify(cableUpdate.blocks)).toContain('Answered *yes* by bob with `fat answer`');
    await socket.send('interactive', buttonClick(cable, 'yes', ALICE));
    await ephemeralTo(ALICE.id, 'This prompt was already answered yes by bob (cli)');
    expect(promptRow('Cable plugged?')).toMatchObject([{ answer: 'yes', answered_by: 'bob', via: 'cli' }]);

    // the master dies at the next prompt; the one started after it keeps the card it posted
    const ready = await cardFor('Ready for the cold?');
    const connections = socket.connections;
    first.child.kill('SIGKILL');
    await first.done;
    const second = spawnFat(env.dir, ['master', ini, '--recover'], slackEnv());
    await socket.waitForConnection(connections + 1, 60_000);
    await waitFor(
      'the prompt announced again, as text',
      () =>
        slack.messages.find(
          (m) => !m.blocks && m.channel === 'C1' && m.text.includes('DAQ is waiting for manual input: Ready for the cold?'),
        ),
      60_000,
    );
    expect(cards().filter((c) => c.text.includes('Ready for the cold?'))).toHaveLength(1);

    // "no" on the old card: a form asks why, and the run stops with that reason
    await socket.send('interactive', buttonClick(ready, 'no', ALICE));
    const form = await waitFor('the reason form', () => slack.views[slack.views.length - 1]);
    const view = form.view as { callback_id: string; private_metadata: string };
    const submission = (reason: string, user = ALICE) => ({
      type: 'view_submission',
      user: { id: user.id, username: user.name, name: user.name },
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
      },
    });
    // an empty reason is not taken, nor a form sent by someone else
    expect(await socket.send('interactive', submission('  '))).toMatchObject({ response_action: 'errors' });
    expect(await socket.send('interactive', submission('cold too early', MALLORY))).toMatchObject({ response_action: 'errors' });
    expect(await socket.send('interactive', submission('the freezer is still defrosting'))).toEqual({});

    const r = await second.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('DAQ stopped by manual input. Reason given: the freezer is still defrosting');
    expect(promptRow('Ready for the cold?')).toMatchObject([{ answer: 'no', answered_by: 'alice (UALICE)', via: 'slack' }]);
    expect(JSON.stringify((await updateOf(ready)).blocks)).toMatch(
      /Answered \*no\* by alice \(UALICE\) in Slack at [^;]+; the run stops: the freezer is still defrosting/,
    );
  }, 240_000);

  it("a message shortcut aborts the run after asking why; a non-operator's shortcut is refused", async () => {
    slack.views.length = 0;
    const ini = writeSchedule(env.dir, 'socket-abort', [
      { name: 'wait_time_0', task: 'wait_time', pause: 3000 },
      { name: 'wait_time_1', task: 'wait_time', pause: 60 },
    ]);
    // the run stopped with a "no" before: a new schedule for it starts with --from
    const master = spawnFat(env.dir, ['master', ini, '--from', '0'], slackEnv());
    const connections = socket.connections;
    await socket.waitForConnection(connections + 1, 60_000);
    await waitFor('the wait running', () => query(env.dir, "select 1 from tasks where section = 'wait_time_0' and state = 'running'")[0]);
    const shortcut = (callback: string, user: { id: string; name: string }) => ({
      type: 'message_action',
      callback_id: callback,
      user: { id: user.id, name: user.name },
      trigger_id: `trigger-${callback}-${user.id}`,
      channel: { id: 'C1' },
      message: { text: 'freezer alarm: door open', ts: '1.0' },
    });
    await socket.send('interactive', shortcut('fat_resume', MALLORY));
    await ephemeralTo(MALLORY.id, 'Only members of <!subteam^SOPS>');
    await socket.send('interactive', shortcut('fat_abort', ALICE));
    const form = await waitFor('the reason form', () => slack.views.find((v) => v.trigger_id === 'trigger-fat_abort-UALICE'));
    const view = form.view as { callback_id: string; private_metadata: string; blocks: Array<{ element?: { initial_value?: string } }> };
    expect(view.blocks[0].element?.initial_value).toBe('freezer alarm: door open');
    const ack = await socket.send('interactive', {
      type: 'view_submission',
      user: { id: ALICE.id, username: ALICE.name, name: ALICE.name },
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { reason: { reason: { type: 'plain_text_input', value: 'freezer alarm: door open' } } } },
      },
    });
    expect(ack).toEqual({});
    await ephemeralTo(ALICE.id, 'alice (UALICE) (in Slack) aborted run 1: freezer alarm: door open');
    const r = await master.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('aborted by alice (UALICE): freezer alarm: door open');
    expect(query(env.dir, "select requested_by, via, reason from operator_requests where action = 'abort'")).toEqual([
      { requested_by: 'alice (UALICE)', via: 'slack', reason: 'freezer alarm: door open' },
    ]);
  }, 180_000);

  it('with Slack unreachable the prompt is answered with fat answer, and its card, queued, is sent later already answered', async () => {
    slack.messages.length = 0;
    const ini = writeSchedule(env.dir, 'socket-down', [
      { name: 'manual_input_0', task: 'manual_input', message: 'Nobody in Slack?' },
      { name: 'wait_time_0', task: 'wait_time', pause: 60 },
    ]);
    const master = spawnFat(env.dir, ['master', ini, '--from', '0'], { ...slackEnv(), SLACK_API_URL: 'http://127.0.0.1:1/api/' });
    await waitFor('the prompt', () => openPrompt(env.dir)?.message === 'Nobody in Slack?', 60_000);
    const cli = await env.run(['answer', 'yes'], { FAT_OPERATOR: 'bob' });
    expect(cli.code, cli.stderr).toBe(0);
    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain("cannot reach Slack's Socket Mode");
    expect(out).toContain('Schedule Completed');
    expect(query(env.dir, "select count(*) n from outbox where card = 'prompt' and state = 'pending'")).toEqual([{ n: 1 }]);

    const flushed = await env.run(['notify', 'flush', '--timeout', '30'], slackEnv());
    expect(flushed.code, flushed.stdout + flushed.stderr).toBe(0);
    const card = cards().find((c) => c.text.includes('Nobody in Slack?'));
    expect(card?.blocks?.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(card?.blocks)).toContain('Answered *yes* by bob with `fat answer`');
  }, 180_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { openPrompt, query, setupRun, spawnFat, waitFor, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Slack through a local stand-in for its Web API that answers 429 and then 500 at first: the
 * channel still gets the start message, the tasks, the prompt and the summary, in order and once
 * each, and the shifter and the expert get the warnings by direct message.
 */
describe('fat master notifies Slack through an outage', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let slack: FakeSlack;

  beforeAll(async () => {
    [env, slack] = await Promise.all([
      labWithHome(TEST_PORTS.masterSlack, { timeScale: 50 }),
      startFakeSlack({ rateLimited: 2, retryAfterS: 1, serverErrors: 2 }),
    ]);
    await setupRun(env.run);
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n[slack]\nchannel = "C1"\nshifter = "U1"\nexpert = "U2"\n');
  }, 90_000);
  afterAll(async () => Promise.all([env?.close(), slack?.close()]), 30_000);

  it('every message arrives, in order, once, and the token never reaches the output', async () => {
    const ini = writeSchedule(env.dir, 'slack', [
      { name: 'wait_time_0', task: 'wait_time', pause: 300 },
      { name: 'status_check_0', task: 'status_check', verbose: false },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'told to Slack' },
      { name: 'manual_input_0', task: 'manual_input', message: 'Door closed?' },
      { name: 'readout_and_reboot_0', task: 'readout_and_reboot', comment: 'also told' },
      { name: 'wait_time_1', task: 'wait_time', pause: 300 },
    ]);
    const token = 'xoxb-test-0123456789';
    const master = spawnFat(env.dir, ['master', ini], { SLACK_BOT_TOKEN: token, SLACK_API_URL: slack.url });
    await waitFor('the prompt', () => openPrompt(env.dir), 60_000);
    const a = await env.run(['answer', 'yes'], { FAT_OPERATOR: 'bob' });
    expect(a.code, a.stderr).toBe(0);
    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('Schedule Completed');
    expect(out).not.toContain(token);

    // the outage happened, and nothing is left waiting
    expect(slack.calls.filter((c) => c.status === 429)).toHaveLength(2);
    expect(slack.calls.filter((c) => c.status === 500)).toHaveLength(2);
    expect(query(env.dir, "select count(*) n from outbox where state != 'sent'")).toEqual([{ n: 0 }]);

    const channel = slack.messages.filter((m) => m.channel === 'C1').map((m) => m.text);
    const expected = [
      'Executing FAT Master Script',
      '[2] readout_and_readout_0 (readout_and_readout)',
      'DAQ is waiting for manual input: Door closed?',
      'Manual input received from bob (cli)',
      '[4] readout_and_reboot_0 (readout_and_reboot)',
      'Schedule Completed',
    ];
    const at = expected.map((text) => channel.findIndex((m) => m.includes(text)));
    expect(
      at.every((i) => i >= 0),
      `channel got:\n${channel.join('\n')}`,
    ).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
    for (const text of expected)
      expect(
        channel.filter((m) => m.includes(text)),
        text,
      ).toHaveLength(1);
    expect(new Set(channel).size).toBe(channel.length);
    expect(channel.every((m) => m.startsWith('[sim-station run 1] '))).toBe(true);
    // the quiet housekeeping tasks are not announced one by one
    expect(channel.some((m) => m.includes('wait_time_0'))).toBe(false);
    expect(slack.messages.every((m) => m.token === token)).toBe(true);

    // the warning (the prompt) also went to the shifter and the expert, once each
    expect(new Set(slack.opened)).toEqual(new Set(['U1', 'U2']));
    for (const dm of ['D-U1', 'D-U2']) {
      const texts = slack.messages.filter((m) => m.channel === dm).map((m) => m.text);
      expect(
        texts.filter((t) => t.includes('DAQ is waiting for manual input: Door closed?')),
        dm,
      ).toHaveLength(1);
      expect(
        texts.some((t) => t.includes('Schedule Completed')),
        dm,
      ).toBe(false);
    }
  }, 120_000);
});

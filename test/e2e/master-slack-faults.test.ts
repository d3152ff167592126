import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { query, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';
import Database from 'better-sqlite3';

/**
 * Slack faults that outlast or slow down the master (issue 13, items 4 and 5): an outage through
 * the whole run leaves the messages queued, the master says how many at its end, `fat status`
 * shows them with their age, and `fat notify flush` sends them all, in order, once, at once (an
 * earlier process's backoff is not inherited); a Slack that takes messages but answers after the
 * client's timeout gets each message once, not once per retry. Every message names station and run.
 */
const SCHEDULE = [
  { name: 'wait_time_0', task: 'wait_time', pause: 60 },
  { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'told to Slack' },
  { name: 'readout_and_reboot_0', task: 'readout_and_reboot', comment: 'also told' },
  { name: 'wait_time_1', task: 'wait_time', pause: 60 },
];
const TOKEN = 'xoxb-test-9876543210';

describe('fat master and Slack faults', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let slack: FakeSlack;
  const slackEnv = () => ({ SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url });
  const channel = () => slack.messages.filter((m) => m.channel === 'C1').map((m) => m.text);

  beforeAll(async () => {
    [env, slack] = await Promise.all([labWithHome(TEST_PORTS.masterSlackFaults, { timeScale: 50 }), startFakeSlack()]);
    await setupRun(env.run);
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n[slack]\nchannel = "C1"\ntimeout_s = 1\n');
  }, 90_000);
  afterAll(async () => Promise.all([env?.close(), slack?.close()]), 30_000);

  it('an outage through the whole run: queued, reported at the end and by fat status, then sent by fat notify flush', async () => {
    slack.set({ serverErrors: 1_000_000 });
    const ini = writeSchedule(env.dir, 'outage', SCHEDULE);
    const r = await env.run(['master', ini], slackEnv());
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toMatch(
      /\d+ Slack message\(s\) not sent yet \(the oldest queued at .*\): they wait in the outbox; `fat notify flush` sends them/,
    );
    expect(slack.messages).toEqual([]);
    const queued = query<{ n: number }>(env.dir, "select count(*) n from outbox where state = 'pending'")[0].n;
    expect(queued).toBeGreaterThanOrEqual(4);

    const status = await env.run(['status']);
    expect(status.stdout).toMatch(new RegExp(`Slack: ${queued} message\\(s\\) waiting, the oldest for .*last error: HTTP 500`));
    const json = JSON.parse((await env.run(['status', '--json'])).stdout) as { slack: { pending: number; oldestAgeS: number } };
    expect(json.slack.pending).toBe(queued);

    // the last process left its backoff behind (here: ten minutes); a new one must not inherit it
    const db = new Database(path.join(env.dir, 'fat.db'));
    db.prepare("update outbox set next_attempt_at = ? where state = 'pending'").run(new Date(Date.now() + 600_000).toISOString());
    db.close();
    slack.set({});
    const flushed = await env.run(['notify', 'flush', '--timeout', '30', '--json'], slackEnv());
    expect(flushed.code, flushed.stdout + flushed.stderr).toBe(0);
    expect(JSON.parse(flushed.stdout)).toMatchObject({ sent: queued, pending: 0 });
    expect((await env.run(['status'])).stdout).not.toContain('Slack:');

    const texts = channel();
    expect(texts).toHaveLength(queued);
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts.every((t) => t.startsWith('[sim-station run 1] '))).toBe(true);
    const order = ['Executing FAT Master Script', 'readout_and_readout_0', 'readout_and_reboot_0', 'Schedule Completed'].map((w) =>
      texts.findIndex((t) => t.includes(w)),
    );
    expect(
      order.every((i) => i >= 0),
      texts.join('\n'),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  }, 120_000);

  it('a Slack that answers after the timeout still gets each message once', async () => {
    slack.messages.length = 0;
    slack.set({ slowMs: 2500 });
    const ini = writeSchedule(env.dir, 'slow', SCHEDULE);
    const r = await env.run(['master', ini], slackEnv());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // the master gave Slack its time at the end; whatever it could not confirm, flush confirms
    const flushed = await env.run(['notify', 'flush', '--timeout', '60'], slackEnv());
    expect(flushed.code, flushed.stdout + flushed.stderr).toBe(0);
    const texts = channel();
    expect(texts.length).toBeGreaterThanOrEqual(4);
    const duplicates = texts.length - new Set(texts).size;
    expect(duplicates, texts.join('\n')).toBeLessThanOrEqual(1);
    expect(query<{ n: number }>(env.dir, "select count(*) n from outbox where state != 'sent'")[0].n).toBe(0);
  }, 180_000);
});

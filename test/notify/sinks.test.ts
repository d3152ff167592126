import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/util/repo-root.js';
import { createConsoleSink, formatConsoleLine } from '../../src/notify/console-sink.js';
import { createNotifier } from '../../src/notify/index.js';
import { readSlackConfig } from '../../src/notify/slack-config.js';
import { enqueueSlack } from '../../src/notify/slack-outbox.js';
import type { FatEvent } from '../../src/station/events.js';
import { captureStream, tempWorkspace } from './workspace.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(...args: Parameters<typeof tempWorkspace>) {
  const t = await tempWorkspace(...args);
  cleanups.push(() => t.ws.close());
  return t;
}

const at = new Date(2026, 2, 1, 7, 5, 9).getTime(); // local 07:05:09

function ev(over: Partial<FatEvent> = {}): FatEvent {
  return { level: 'info', kind: 'task.start', message: '[3] measure_gain', timeMs: at, runId: null, ...over };
}

describe('console sink', () => {
  it('prints one line per event with the lab time, and the trace indented for warnings only', () => {
    const out = captureStream();
    const sink = createConsoleSink({ stream: out.stream });
    void sink.emit(ev({ detail: 'not shown for info' }));
    void sink.emit(ev({ level: 'warn', message: 'D-Egg at port 5001 did not answer', detail: 'Error: timeout\n  at x\n' }));
    void sink.emit(ev({ level: 'debug', message: 'too chatty' }));
    expect(out.text()).toBe(
      '07:05:09      [3] measure_gain\n' +
        '07:05:09 WARN D-Egg at port 5001 did not answer\n' +
        '         Error: timeout\n' +
        '           at x\n',
    );
  });

  it('colours only when asked or on a terminal', () => {
    expect(formatConsoleLine(ev({ level: 'error', message: 'x' }), true)).toContain('\x1b[31m');
    const out = captureStream();
    void createConsoleSink({ stream: out.stream }).emit(ev({ level: 'error' }));
    expect(out.text()).not.toContain('\x1b[');
  });
});

describe('run log and store', () => {
  it('appends JSON lines to logs/run_NNNNN.log across two notifiers of the same run', async () => {
    const { ws, runId } = await setup(null, 7);
    for (const message of ['first master', 'recovered master']) {
      const n = await createNotifier(ws, runId, { console: false, slack: false });
      n.emit(ev({ message, level: 'warn', detail: 'trace', data: { port: 5002 } }));
      await n.close();
    }
    const file = path.join(ws.home.logsDir, 'run_00007.log');
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // each notifier also notes once that Slack is off
    const ours = lines.filter((l) => l.kind === 'task.start');
    expect(ours.map((l) => l.msg)).toEqual(['first master', 'recovered master']);
    expect(ours[0]).toMatchObject({
      level: 'warn',
      time: new Date(at).toISOString(),
      runId,
      station: 'sim-station',
      detail: 'trace',
      data: { port: 5002 },
    });
  });

  it('records every event in the store with lab time, level, kind and the trace in data', async () => {
    const { ws, runId } = await setup(null);
    const n = await createNotifier(ws, runId, { console: false, runLog: false, slack: false });
    n.emit(
      ev({ level: 'error', kind: 'task.failed', message: 'gain scan failed', detail: 'Error: x', data: { task: 3 }, audience: 'people' }),
    );
    await n.close();
    const rows = await ws.db.selectFrom('events').selectAll().where('kind', '=', 'task.failed').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      station: 'sim-station',
      run_id: runId,
      time: new Date(at).toISOString(),
      level: 'error',
      message: 'gain scan failed',
    });
    expect(JSON.parse(rows[0].data)).toEqual({ task: 3, detail: 'Error: x', audience: 'people' });
  });

  it('a burst of events in one turn is written in order by one INSERT, and the next turn by another', async () => {
    const { ws, runId } = await setup(null);
    let inserts = 0;
    const counting: KyselyPlugin = {
      transformQuery: (a) => {
        if (a.node.kind === 'InsertQueryNode' && a.node.into?.table.identifier.name === 'events') inserts++;
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    };
    const n = await createNotifier({ ...ws, db: ws.db.withPlugin(counting) }, runId, {
      console: false,
      runLog: false,
      slack: false,
    });
    for (let i = 0; i < 30; i++) n.emit(ev({ kind: 'burst', message: `b${i}` }));
    await n.flush(0);
    expect(inserts).toBe(1);
    n.emit(ev({ kind: 'burst', message: 'later' }));
    await n.close();
    expect(inserts).toBe(2);
    const rows = await ws.db.selectFrom('events').select('message').where('kind', '=', 'burst').orderBy('id').execute();
    expect(rows.map((r) => r.message)).toEqual([...Array.from({ length: 30 }, (_, i) => `b${i}`), 'later']);
  });

  it('a failing sink is reported once on stderr and the others go on', async () => {
    const { ws, runId } = await setup(null);
    const errors: string[] = [];
    const out = captureStream();
    const n = await createNotifier(ws, runId, { console: { stream: out.stream }, slack: false, stderr: (l) => errors.push(l) });
    await ws.db.destroy(); // the store goes away under the master
    expect(() => n.emit(ev({ message: 'one' }))).not.toThrow();
    n.emit(ev({ message: 'two' }));
    await n.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/the store of the run's events failed/);
    expect(out.text()).toMatch(/one\n.*two\n$/);
    cleanups.length = 0; // the store is closed already
  });
});

describe('Slack outbox rows', () => {
  it('queues one channel row, or the channel and a DM per person, in order and with the station name', async () => {
    const { ws, runId } = await setup({ channel: 'C1', shifter: 'U1', expert: 'U1' });
    expect(await enqueueSlack(ws, runId, ev({ audience: 'log' }))).toEqual([]);
    await enqueueSlack(ws, runId, ev({ audience: 'channel', message: 'a & <b>' }));
    await enqueueSlack(ws, runId, ev({ audience: 'people', level: 'critical', message: 'stopped' }));
    const rows = await ws.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    // shifter and expert are the same person here: one DM
    expect(rows.map((r) => [r.target, r.text, r.state])).toEqual([
      ['channel', '[sim-station run 42] a &amp; &lt;b&gt;', 'pending'],
      ['channel', '<!channel> [sim-station run 42] stopped', 'pending'],
      ['dm:U1', '<!channel> [sim-station run 42] stopped', 'pending'],
    ]);
  });
});

describe('Slack configuration', () => {
  const station = (slack?: {
    token_file?: string;
    socket_mode?: boolean;
    app_token_file?: string;
    operators?: string[];
    operators_group?: string;
  }) =>
    ({ name: 's', slack: slack ? { channel: 'C1', shifter: '', expert: '', ...slack } : undefined }) as unknown as Parameters<
      typeof readSlackConfig
    >[0];

  it('prefers SLACK_BOT_TOKEN, then a token file outside the repository (with ~), else is off', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-home-'));
    fs.mkdirSync(path.join(home, '.config'));
    fs.writeFileSync(path.join(home, '.config', 'slack-token'), 'xoxb-from-file\n', { mode: 0o600 });
    const oldHome = process.env.HOME;
    process.env.HOME = home;
    try {
      expect(readSlackConfig(station({ token_file: '~/.config/slack-token' }), { env: { SLACK_BOT_TOKEN: 'xoxb-env' } })).toMatchObject({
        state: 'on',
        token: 'xoxb-env',
      });
      const fromFile = readSlackConfig(station({ token_file: '~/.config/slack-token' }), {
        env: { SLACK_API_URL: 'http://127.0.0.1:9/api' },
      });
      expect(fromFile).toMatchObject({ state: 'on', token: 'xoxb-from-file', apiUrl: 'http://127.0.0.1:9/api/' });
      expect(fromFile.note).toBeUndefined();
    } finally {
      process.env.HOME = oldHome;
    }
    expect(readSlackConfig(station({}), { env: {} })).toEqual({
      state: 'off',
      note: 'Slack is off: set SLACK_BOT_TOKEN or slack.token_file',
    });
    expect(readSlackConfig(station(), { env: { SLACK_BOT_TOKEN: 'x' } }).state).toBe('off');
  });

  it('Socket Mode takes the app token from SLACK_APP_TOKEN or app_token_file; without one the buttons are off and it says so', () => {
    const socket = { socket_mode: true, operators: ['U1'], operators_group: 'S1' };
    const on = readSlackConfig(station(socket), { env: { SLACK_BOT_TOKEN: 'xoxb-b', SLACK_APP_TOKEN: 'xapp-a' } });
    expect(on).toMatchObject({
      state: 'on',
      socket: { appToken: 'xapp-a', source: '$SLACK_APP_TOKEN', operators: ['U1'], operatorsGroup: 'S1' },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-app-'));
    fs.writeFileSync(path.join(dir, 'app-token'), 'xapp-file\n', { mode: 0o600 });
    const fromFile = readSlackConfig(station({ ...socket, app_token_file: 'app-token' }), {
      env: { SLACK_BOT_TOKEN: 'xoxb-b' },
      baseDir: dir,
    });
    expect(fromFile).toMatchObject({ state: 'on', socket: { appToken: 'xapp-file', source: path.join(dir, 'app-token') } });
    const none = readSlackConfig(station(socket), { env: { SLACK_BOT_TOKEN: 'xoxb-b' } });
    expect(none).toMatchObject({ state: 'on', token: 'xoxb-b' });
    expect(none.state === 'on' && none.socket).toBe(undefined);
    expect(none.state === 'on' && none.note).toMatch(/Slack buttons are off .*set SLACK_APP_TOKEN or slack\.app_token_file/);
    // no Socket Mode without socket_mode, whatever the environment holds
    const off = readSlackConfig(station({}), { env: { SLACK_BOT_TOKEN: 'xoxb-b', SLACK_APP_TOKEN: 'xapp-a' } });
    expect(off.state === 'on' && off.socket).toBe(undefined);
  });

  it('refuses a token file inside the icefat repository', () => {
    const c = readSlackConfig(station({ token_file: path.join(REPO_ROOT, 'slack-token') }), { env: {} });
    expect(c.state).toBe('refused');
    expect(c.state !== 'on' && c.note).toMatch(/inside the icefat repository/);
  });
});

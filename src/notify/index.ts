import type { Workspace } from '../station/workspace.js';
import { createConsoleSink, type ConsoleSinkOptions } from './console-sink.js';
import { createRunLogSink, runLogPath } from './runlog-sink.js';
import { scrub } from './scrub.js';
import { readSlackConfig, type SlackConfig, type SlackConfigEnv } from './slack-config.js';
import { enqueueSlack, outboxBacklog } from './slack-outbox.js';
import { hasCard, queueCardUpdate } from './slack-cards.js';
import type { SlackLink } from './slack-link.js';
import { SlackSender, type SlackSenderOptions } from './slack-sender.js';
import { createStoreSink } from './store-sink.js';
import { createLogbookSink } from './logbook-sink.js';
import type { EventSink, FatEvent } from '../station/events.js';

/**
 * One `emit` for the master: every event goes to the console, the run log and the store; those
 * for people also go to the Slack outbox, which a sender drains in order. `emit` never throws and
 * never waits: a broken sink is reported once on stderr and the FAT goes on.
 */
export interface NotifierOptions {
  /** false: no console output (e.g. `fat answer`, which prints its own) */
  console?: ConsoleSinkOptions | false;
  runLog?: boolean;
  store?: boolean;
  /** the run's number for the log file name (default: read from the runs table) */
  runNumber?: number | null;
  slack?:
    | false
    | {
        /** default readSlackConfig(ws.station, ...) */
        config?: SlackConfig;
        env?: SlackConfigEnv;
        /** false: only queue (another process, the master, sends); default true */
        send?: boolean;
        /**
         * the master: with [slack] socket_mode and an app token, prompts get a card with Yes/No
         * buttons and the Socket Mode link takes clicks and /fat commands (default false)
         */
        interactive?: boolean;
        link?: { backoff?: { initialMs?: number; maxMs?: number } };
        sender?: Omit<SlackSenderOptions, 'token' | 'onProblem'>;
      };
  /** where a failing sink is reported (default process.stderr) */
  stderr?: (line: string) => void;
}

export interface Notifier {
  emit(e: FatEvent): void;
  /** waits until the Slack outbox is empty (true) or the time is up (false); true without Slack */
  flush(timeoutMs: number): Promise<boolean>;
  /**
   * finishes pending writes, gives Slack up to flushMs (default 10 s), stops the sender; unsent
   * messages stay queued, and a warning says how many and since when
   */
  close(opts?: { flushMs?: number }): Promise<void>;
  readonly slack: SlackConfig;
  readonly sender: SlackSender | null;
  readonly link: SlackLink | null;
  readonly runLogFile: string | null;
}

/**
 * The Slack lane: what the channel and the people should see, queued in the outbox for the sender
 * (`kick`). With cards (Socket Mode), a prompt gets one card with buttons, updated once answered;
 * a restarted master announcing the same prompt again sends plain text.
 */
function slackOutboxSink(ws: Workspace, cards: boolean, kick: () => void): EventSink {
  return {
    async emit(e) {
      if (e.audience !== 'channel' && e.audience !== 'people') return;
      if (e.kind.startsWith('slack.')) return; // reports about Slack itself would loop
      const promptId = typeof e.data?.promptId === 'number' ? e.data.promptId : undefined;
      const card = cards && e.kind === 'prompt.open' && promptId !== undefined && !(await hasCard(ws, promptId)) ? { promptId } : undefined;
      await enqueueSlack(ws, e.runId, e, Date.now(), card);
      if (cards && e.kind === 'prompt.answered' && promptId !== undefined) await queueCardUpdate(ws, e.runId, promptId, e.message);
      kick();
    },
  };
}

interface Lane {
  name: string;
  sink: EventSink;
  tail: Promise<void>;
  broken: boolean;
  /** events waiting for the next call of a sink that takes several at once (`emitMany`) */
  queue: FatEvent[];
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Hands an event to every lane, each in its own order; a lane that fails is switched off and
 * reported once. A sink with `emitMany` gets the events of a turn of the event loop together: a
 * burst of short tasks makes one write to the store, not one per event.
 */
function dispatch(lanes: Lane[], ev: FatEvent, report: (lane: Lane, err: unknown) => void): void {
  for (const lane of lanes) {
    if (!lane.sink.emitMany) {
      lane.tail = lane.tail.then(() => deliver(lane, [ev], report));
      continue;
    }
    lane.queue.push(ev);
    // the first event queued schedules the call that takes them all
    if (lane.queue.length === 1) lane.tail = lane.tail.then(nextTurn).then(() => deliver(lane, lane.queue.splice(0), report));
  }
}

async function deliver(lane: Lane, events: FatEvent[], report: (lane: Lane, err: unknown) => void): Promise<void> {
  if (lane.broken) return;
  try {
    if (lane.sink.emitMany) await lane.sink.emitMany(events);
    else for (const e of events) await lane.sink.emit(e);
  } catch (err) {
    lane.broken = true;
    try {
      report(lane, err);
    } catch {
      // nowhere left to report to
    }
  }
}

export async function createNotifier(ws: Workspace, runId: number | null, opts: NotifierOptions = {}): Promise<Notifier> {
  const stderr = opts.stderr ?? ((line: string) => void process.stderr.write(line));
  const slackOpts = opts.slack === false ? null : (opts.slack ?? {});
  const slack: SlackConfig = slackOpts
    ? (slackOpts.config ?? readSlackConfig(ws.station, { baseDir: ws.home.dir, ...slackOpts.env }))
    : { state: 'off', note: 'Slack is off for this command' };
  const secrets = slack.state === 'on' ? [slack.token, ...(slack.socket ? [slack.socket.appToken] : [])] : [];
  // cards with buttons only where someone takes the clicks: the master, with Socket Mode configured
  const socket = slack.state === 'on' && slackOpts?.interactive && slackOpts.send !== false ? slack.socket : undefined;

  const lanes: Lane[] = [];
  const add = (name: string, sink: EventSink) => lanes.push({ name, sink, tail: Promise.resolve(), broken: false, queue: [] });
  if (opts.console !== false) add('console', createConsoleSink(opts.console ?? {}));
  let runLogFile: string | null = null;
  if (opts.runLog !== false) {
    const runNumber = opts.runNumber !== undefined ? opts.runNumber : await lookUpRunNumber(ws, runId);
    runLogFile = runLogPath(ws, runNumber);
    add('run log', createRunLogSink(runLogFile, ws.station.name));
  }
  if (opts.store !== false) add('store', createStoreSink(ws));
  if (opts.store !== false) add('logbook', createLogbookSink(ws));

  let sender: SlackSender | null = null;
  if (slack.state === 'on' && slackOpts) {
    add(
      'Slack outbox',
      slackOutboxSink(ws, Boolean(socket), () => sender?.kick()),
    );
    if (slackOpts.send !== false) {
      sender = new SlackSender(ws, {
        ...slackOpts.sender,
        token: slack.token,
        channel: slackOpts.sender?.channel ?? slack.channel,
        apiUrl: slackOpts.sender?.apiUrl ?? slack.apiUrl,
        requestTimeoutMs: slackOpts.sender?.requestTimeoutMs ?? (ws.station.slack?.timeout_s ?? 15) * 1000,
        onProblem: (level, message) => emit({ level, kind: 'slack.problem', message, timeMs: ws.clock.now(), runId, audience: 'log' }),
      });
    }
  }

  function emit(e: FatEvent): void {
    // a token pasted into a message or caught in a trace must not reach any sink
    const ev: FatEvent = { ...e, runId: e.runId ?? runId, message: scrub(e.message, secrets) };
    if (e.detail) ev.detail = scrub(e.detail, secrets);
    dispatch(lanes, ev, (lane, err) =>
      stderr(
        `icefat: the ${lane.name} of the run's events failed and is off until the master restarts: ${scrub((err as Error)?.message ?? String(err), secrets)}\n`,
      ),
    );
  }

  const note = slack.note;
  if (note)
    emit({
      level: slack.state === 'off' ? 'info' : 'warn',
      kind: 'slack.config',
      message: note,
      timeMs: ws.clock.now(),
      runId,
      audience: 'log',
    });
  sender?.start();
  let link: SlackLink | null = null;
  if (socket && slack.state === 'on') {
    // loaded only here: the Socket Mode client (undici's WebSocket) is the master's alone
    const { SlackLink } = await import('./slack-link.js');
    link = new SlackLink(ws, {
      socket,
      botToken: slack.token,
      apiUrl: slackOpts?.sender?.apiUrl ?? slack.apiUrl,
      requestTimeoutMs: (ws.station.slack?.timeout_s ?? 15) * 1000,
      ...(slackOpts?.link?.backoff ? { backoff: slackOpts.link.backoff } : {}),
      onProblem: (level, message) => emit({ level, kind: 'slack.socket', message, timeMs: ws.clock.now(), runId, audience: 'log' }),
    });
    link.start();
  }

  let closed = false;
  let closing: Promise<void> | null = null;
  async function close(flushMs: number): Promise<void> {
    // no more clicks: what they answered is in the store, and its card update in the outbox
    await link?.close();
    await Promise.all(lanes.map((l) => l.tail));
    if (sender) {
      if (flushMs > 0) await sender.flush(flushMs);
      await sender.stop();
      const waiting = await outboxBacklog(ws);
      if (waiting.count)
        emit({
          level: 'warn',
          kind: 'slack.pending',
          message: `${waiting.count} Slack message(s) not sent yet (the oldest queued at ${waiting.oldest}): they wait in the outbox; \`fat notify flush\` sends them, and so does the next master`,
          timeMs: ws.clock.now(),
          runId,
          audience: 'log',
        });
    }
    closed = true;
    // late reports of the sender's stop have been queued by now
    await Promise.all(lanes.map((l) => l.tail));
    for (const l of lanes) await l.sink.close?.().catch(() => undefined);
  }
  return {
    emit(e) {
      if (closed) return;
      try {
        emit(e);
      } catch {
        // emit must never throw into the master
      }
    },
    async flush(timeoutMs) {
      await Promise.all(lanes.map((l) => l.tail));
      return sender ? sender.flush(timeoutMs) : true;
    },
    close({ flushMs = 10_000 } = {}) {
      closing ??= close(flushMs);
      return closing;
    },
    slack,
    sender,
    link,
    runLogFile,
  };
}

async function lookUpRunNumber(ws: Workspace, runId: number | null): Promise<number | null> {
  if (runId === null) return null;
  const r = await ws.db.selectFrom('runs').select('run_number').where('id', '=', runId).executeTakeFirst();
  return r?.run_number ?? null;
}

export type { FatEvent, EventSink, Level } from '../station/events.js';
export { enqueueSlack } from './slack-outbox.js';
export { SlackSender } from './slack-sender.js';
export { readSlackConfig } from './slack-config.js';

import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type FetchFunction,
  type Logger,
} from '@slack/web-api';
import type { Workspace } from '../station/workspace.js';
import { nowIso } from '../store/open.js';
import { scrub } from './scrub.js';
import { answeredCardBlocks, openCardBlocks, postedCard, promptOfCard } from './slack-cards.js';
import type { Level } from '../station/events.js';

/**
 * Drains the Slack outbox of one station. The outbox is the only place that retries: the SDK's
 * own retries and rate-limit waits are off, because they would retry behind our back and let a
 * later message overtake an earlier one. Per target (the channel, each DM) messages go out
 * strictly in outbox order; a message waiting for its retry holds back the ones after it for the
 * same target, never those for other targets. A 429 pauses everything for its Retry-After, since
 * Slack's limits are per workspace and method.
 *
 * chat.postMessage has no idempotency key, so each message carries its outbox key in its
 * metadata, and one whose last attempt may have arrived (a timeout, a dropped connection, a 5xx)
 * is first looked for in the conversation's history: a slow Slack gets it once. Only when the
 * history cannot be read, or a crash falls between Slack's "ok" and our "sent", can a message
 * arrive twice. A new sender retries waiting messages at once: an earlier process's backoff is
 * not inherited.
 */
export interface SlackSenderOptions {
  token: string;
  /** default $SLACK_API_URL, else https://slack.com/api/ */
  apiUrl?: string;
  fetch?: FetchFunction;
  /** default the station's slack.channel */
  channel?: string;
  /** first retry after this long, doubling per attempt up to maxMs (default 2 s .. 5 min) */
  backoff?: { initialMs?: number; maxMs?: number };
  /** how often to look for new rows when nobody kicks (default 1 s) */
  pollMs?: number;
  /** a message with an error that is neither transient nor known-permanent gives up after this many attempts (default 20) */
  maxAttempts?: number;
  /** wall time of one API call before it counts as a network error (default 15 s) */
  requestTimeoutMs?: number;
  /** wall clock (tests) */
  now?: () => number;
  /** a problem worth a log line (already scrubbed of the token); never sent to Slack */
  onProblem?: (level: Level, message: string) => void;
}

type Outcome =
  | { kind: 'sent'; channel?: string; ts?: string }
  | { kind: 'rate'; retryAfterMs: number; error: string }
  | { kind: 'retry'; error: string }
  | { kind: 'auth'; error: string }
  | { kind: 'failed'; error: string }
  | { kind: 'unknown'; error: string };

/** errors that will not go away by retrying the same message */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'user_not_found',
  'user_not_visible',
  'user_disabled',
  'cannot_dm_bot',
  'invalid_arguments',
  'invalid_blocks',
  'msg_too_long',
  'no_text',
  'restricted_action',
  'too_many_attachments',
  'messages_tab_disabled',
  // a prompt card's update: the message is gone or can no longer be edited
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);
/** fixed by a new token and a restart: keep the messages until then */
const AUTH = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'no_permission',
  'not_allowed_token_type',
]);
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** the Slack SDKs' own logging off: what matters is reported through onProblem, scrubbed of tokens */
export const quietLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

type Row = {
  id: number;
  target: string;
  text: string;
  attempts: number;
  maybe_sent: number;
  card: 'prompt' | 'prompt-answered' | null;
  prompt_id: number | null;
};

export class SlackSender {
  private readonly client: WebClient;
  private readonly channel: string;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private readonly dmChannels = new Map<string, string>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** a kick that came while no one slept: the next sleep is skipped */
  private kicked = false;
  private pauseUntil = 0;
  private failing = false;
  private fresh = false;
  private readonly reported = new Set<string>();

  constructor(
    private readonly ws: Pick<Workspace, 'db' | 'station'>,
    private readonly opts: SlackSenderOptions,
  ) {
    const apiUrl = opts.apiUrl ?? process.env.SLACK_API_URL;
    this.client = new WebClient(opts.token, {
      ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: opts.requestTimeoutMs ?? 15_000,
      logger: quietLogger,
    });
    const channel = opts.channel ?? ws.station.slack?.channel;
    if (!channel) throw new Error(`station ${ws.station.name} has no slack.channel: add [slack] channel = "C..." to station.toml`);
    this.channel = channel;
    this.initialMs = opts.backoff?.initialMs ?? 2000;
    this.maxMs = opts.backoff?.maxMs ?? 300_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.maxAttempts = opts.maxAttempts ?? 20;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.fresh = true;
    this.loop = this.run().finally(() => {
      this.loop = null;
    });
  }

  /** new rows are waiting: look now instead of at the next poll */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** stops after the message in flight, if any; pending rows stay for the next sender */
  async stop(): Promise<void> {
    this.stopping = true;
    this.kick();
    await this.loop;
  }

  /** pending messages of this station */
  async pending(): Promise<number> {
    const r = await this.ws.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('station', '=', this.ws.station.name)
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Waits until the outbox is empty or `timeoutMs` has passed (true when empty). Sends even when
   * the sender was not started, and leaves it as it was.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const wasRunning = this.loop !== null && !this.stopping;
    if (!wasRunning) {
      await this.loop;
      this.start();
    }
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if ((await this.pending()) === 0) return true;
        if (Date.now() >= deadline) return false;
        this.kick();
        // wall: the outbox drains to Slack, a real service, also when the lab is simulated
        await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
      }
    } finally {
      if (!wasRunning) await this.stop();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let waitMs: number;
      try {
        if (this.fresh) {
          // an earlier process's backoff (up to minutes) is not this one's: try the waiting messages now
          await this.ws.db
            .updateTable('outbox')
            .set({ next_attempt_at: nowIso(this.now()) })
            .where('station', '=', this.ws.station.name)
            .where('state', '=', 'pending')
            .execute();
          this.fresh = false;
        }
        waitMs = await this.step();
      } catch (e) {
        // the store itself failed (locked, closed): say so, try again later
        this.problem('error', `Slack outbox: ${scrub((e as Error).message, [this.opts.token])}`, 'store');
        waitMs = this.pollMs;
      }
      if (waitMs > 0 && !this.stopping) await this.sleep(Math.min(waitMs, this.pollMs));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // wall: polling and backoff towards Slack (its rate limits are in real time); a background loop
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        this.kicked = false;
        done();
      };
    });
  }

  /** sends the oldest due message, if any; returns how long to wait before the next step */
  private async step(): Promise<number> {
    const now = this.now();
    if (now < this.pauseUntil) return this.pauseUntil - now;
    // only the oldest pending row of each target may go: a long outage can leave thousands waiting
    const station = this.ws.station.name;
    const heads = await this.ws.db
      .selectFrom('outbox')
      .select(['id', 'target', 'text', 'attempts', 'next_attempt_at', 'maybe_sent', 'card', 'prompt_id'])
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select((e) => e.fn.min('id').as('id'))
          .where('station', '=', station)
          .where('state', '=', 'pending')
          .groupBy('target'),
      )
      .orderBy('id')
      .execute();
    if (heads.length === 0) return this.pollMs;
    let next = Infinity;
    let due: (typeof heads)[number] | undefined;
    for (const h of heads) {
      const at = Date.parse(h.next_attempt_at);
      if (at <= now) {
        if (!due || h.id < due.id) due = h;
      } else next = Math.min(next, at - now);
    }
    if (!due) return next;
    await this.attempt(due);
    return 0;
  }

  private async attempt(row: Row): Promise<void> {
    const key = `icefat:${this.ws.station.name}:${row.id}`;
    // a card's update is an edit: doing it twice is harmless, so no look in the history
    const found = row.maybe_sent && row.card !== 'prompt-answered' ? await this.alreadyThere(row.target, key, row) : undefined;
    // a card must not come twice, even when the master dies between Slack's "ok" and our "sent":
    // marked before it goes, the next sender looks for it in the channel first
    if (!found && row.card === 'prompt' && !row.maybe_sent)
      await this.ws.db.updateTable('outbox').set({ maybe_sent: 1 }).where('id', '=', row.id).execute();
    const outcome: Outcome = found ?? (row.card === 'prompt-answered' ? await this.updateCard(row) : await this.send(row, key));
    const attempts = row.attempts + 1;
    const now = this.now();
    const update = this.ws.db.updateTable('outbox').where('id', '=', row.id);
    if (outcome.kind === 'sent') {
      await update
        .set({
          state: 'sent',
          attempts,
          sent_at: nowIso(now),
          last_error: null,
          maybe_sent: 0,
          ...(outcome.ts ? { slack_channel: outcome.channel ?? null, slack_ts: outcome.ts } : {}),
        })
        .execute();
      if (this.failing) {
        this.failing = false;
        this.problem('info', 'Slack takes messages again; the outbox is being sent in order', null);
      }
      return;
    }
    const error = outcome.error;
    if (outcome.kind === 'failed' || (outcome.kind === 'unknown' && attempts >= this.maxAttempts)) {
      await update.set({ state: 'failed', attempts, last_error: error }).execute();
      this.problem(
        'error',
        `Slack refused a message for ${row.target} for good (${error}); it stays in the run log and the store`,
        `${row.target}:${error}`,
      );
      return;
    }
    let retryAt: number;
    if (outcome.kind === 'rate') {
      this.pauseUntil = now + outcome.retryAfterMs;
      retryAt = this.pauseUntil;
    } else {
      retryAt = now + Math.min(this.maxMs, this.initialMs * 2 ** Math.min(30, attempts - 1));
    }
    await update
      .set({ attempts, next_attempt_at: nowIso(retryAt), last_error: error, maybe_sent: outcome.kind === 'retry' ? 1 : 0 })
      .execute();
    if (outcome.kind === 'auth') {
      this.problem(
        'error',
        `Slack rejects the token (${error}): messages wait in the outbox until icefat restarts with a valid SLACK_BOT_TOKEN`,
        'auth',
      );
    } else if (!this.failing) {
      this.failing = true;
      this.problem('warn', `Slack did not take a message (${error}); messages wait in the outbox and are retried`, null);
    }
  }

  private async send(row: Row, key: string): Promise<Outcome> {
    try {
      const channel = await this.channelOf(row.target);
      const prompt = row.card === 'prompt' && row.prompt_id !== null ? await promptOfCard(this.ws, row.prompt_id) : undefined;
      const r = await this.client.chat.postMessage({
        channel,
        text: row.text,
        ...(prompt ? { blocks: prompt.answered_at ? answeredCardBlocks(row.text, prompt) : openCardBlocks(row.text, prompt) } : {}),
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: 'icefat_message', event_payload: { key } },
      });
      return { kind: 'sent', channel: r.channel ?? channel, ts: r.ts };
    } catch (e) {
      return this.classify(e);
    }
  }

  /** The prompt's card, told who answered and how; its buttons go (nothing to do when no card was posted). */
  private async updateCard(row: Row): Promise<Outcome> {
    try {
      const card = row.prompt_id === null ? undefined : await postedCard(this.ws, row.prompt_id);
      const prompt = row.prompt_id === null ? undefined : await promptOfCard(this.ws, row.prompt_id);
      if (!card?.slack_channel || !card.slack_ts || !prompt) return { kind: 'sent' };
      await this.client.chat.update({
        channel: card.slack_channel,
        ts: card.slack_ts,
        text: card.text,
        blocks: answeredCardBlocks(card.text, prompt),
      });
      return { kind: 'sent' };
    } catch (e) {
      return this.classify(e);
    }
  }

  private channelOf(target: string): Promise<string> {
    return target === 'channel' ? Promise.resolve(this.channel) : this.dmChannel(target.slice('dm:'.length));
  }

  /** The message with this key if it is in the conversation already (undefined also when the history cannot be read). */
  private async alreadyThere(target: string, key: string, row: { id: number }): Promise<Outcome | undefined> {
    try {
      const created = await this.ws.db.selectFrom('outbox').select('created_at').where('id', '=', row.id).executeTakeFirstOrThrow();
      const channel = await this.channelOf(target);
      const r = await this.client.conversations.history({
        channel,
        oldest: String(Date.parse(created.created_at) / 1000 - 60),
        include_all_metadata: true,
        limit: 200,
      });
      // the SDK types the payload as {}: read our key from it as a plain record
      const m = (r.messages ?? []).find((x) => (x.metadata?.event_payload as Record<string, unknown> | undefined)?.key === key);
      return m ? { kind: 'sent', channel, ts: m.ts } : undefined;
    } catch (e) {
      this.problem('warn', `Slack history could not be read to avoid a duplicate (${this.classify(e).error}); sending again`, 'history');
      return undefined;
    }
  }

  private async dmChannel(user: string): Promise<string> {
    const known = this.dmChannels.get(user);
    if (known) return known;
    const r = await this.client.conversations.open({ users: user });
    const id = r.channel?.id;
    if (!id) throw new Error(`conversations.open for ${user} returned no channel`);
    this.dmChannels.set(user, id);
    return id;
  }

  private classify(e: unknown): Exclude<Outcome, { kind: 'sent' }> {
    const clean = (s: string) => scrub(s, [this.opts.token]).slice(0, 500);
    if (e instanceof WebAPIRateLimitedError) {
      return {
        kind: 'rate',
        retryAfterMs: Math.max(0, e.retryAfter) * 1000,
        error: `rate limited by Slack, retry after ${e.retryAfter} s`,
      };
    }
    if (e instanceof WebAPIPlatformError) {
      const code = String(e.data.error);
      const error = clean(`Slack answered ${code}`);
      if (PERMANENT.has(code)) return { kind: 'failed', error };
      if (AUTH.has(code)) return { kind: 'auth', error };
      if (TRANSIENT.has(code)) return { kind: 'retry', error };
      return { kind: 'unknown', error };
    }
    if (e instanceof WebAPIHTTPError) {
      const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
      const error = clean(`HTTP ${e.statusCode} ${e.statusMessage}${body ? `: ${body.slice(0, 200)}` : ''}`);
      return e.statusCode >= 500 || e.statusCode === 408 ? { kind: 'retry', error } : { kind: 'unknown', error };
    }
    if (e instanceof WebAPIRequestError) {
      const cause = (e.original as { cause?: { code?: string; message?: string } }).cause;
      const why = [e.original.message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
      return { kind: 'retry', error: clean(`cannot reach Slack at ${this.client.slackApiUrl}: ${why}`) };
    }
    return { kind: 'retry', error: clean(e instanceof Error ? e.message : String(e)) };
  }

  /** one report per distinct problem (key), so an outage or a broken DM is not a flood */
  private problem(level: Level, message: string, key: string | null): void {
    if (key !== null) {
      if (this.reported.has(key)) return;
      this.reported.add(key);
    }
    try {
      this.opts.onProblem?.(level, scrub(message, [this.opts.token]));
    } catch {
      // a reporting failure must not stop the sender
    }
  }
}

import { SocketModeClient } from '@slack/socket-mode';
import { WebAPIPlatformError, WebClient } from '@slack/web-api';
import type { Workspace } from '../station/workspace.js';
import type { Level } from '../station/events.js';
import { scrub } from './scrub.js';
import type { SlackSocketConfig } from './slack-config.js';
import { handleInteractive, handleSlashCommand, type Ack, type InteractionScope } from './slack-interactions.js';
import { SlackOperators } from './slack-operators.js';
import { quietLogger } from './slack-sender.js';

/**
 * The master's Socket Mode connection to Slack: button clicks, modals, message shortcuts and slash
 * commands arrive over a WebSocket the master opens (apps.connections.open with the app token),
 * so no inbound port is needed. icefat reconnects by itself, with backoff, whenever the connection
 * drops or cannot be made (the SDK's own reconnect is off: it would retry behind our back and
 * throw where nobody catches); meanwhile prompts are answered at the terminal, with `fat answer`
 * or in the browser, and clicks Slack could not deliver are simply not there. Each answer goes
 * through the store, so a retried delivery or a restart never answers twice.
 */
export interface SlackLinkOptions {
  socket: SlackSocketConfig;
  botToken: string;
  /** replaces https://slack.com/api/ for both tokens' calls */
  apiUrl?: string;
  /** one API call's wall time (ms) */
  requestTimeoutMs: number;
  /** first retry after this long, doubling up to maxMs (default 1 s .. 60 s) */
  backoff?: { initialMs?: number; maxMs?: number };
  /** a problem or a change worth a log line (scrubbed of both tokens) */
  onProblem: (level: Level, message: string) => void;
}

/** apps.connections.open answers that a restart with another token fixes, not a retry */
const FATAL = new Set(['invalid_auth', 'not_authed', 'not_allowed_token_type', 'token_revoked', 'account_inactive', 'missing_scope']);

/** how long close() waits for the connection to end */
const CLOSE_WAIT_MS = 3000;

/** a connection that opens but never says hello is given up after this long */
const HELLO_TIMEOUT_MS = 20_000;

export class SlackLink {
  private readonly client: WebClient;
  private readonly scope: InteractionScope;
  private loop: Promise<void> | null = null;
  private closing = false;
  private current: SocketModeClient | null = null;
  private wake: (() => void) | null = null;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly ws: Workspace,
    private readonly opts: SlackLinkOptions,
  ) {
    const apiUrl = opts.apiUrl;
    this.client = new WebClient(opts.botToken, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      // Slack waits 3 s for the ack of a modal or a slash command, which may need the group's members
      timeout: Math.min(opts.requestTimeoutMs, 2500),
      logger: quietLogger,
    });
    this.scope = {
      ws,
      client: this.client,
      operators: new SlackOperators(this.client, opts.socket, ws.station.name),
      later: (work) => {
        const p = work()
          .catch((e: unknown) => this.report('warn', `a Slack interaction failed: ${describe(e)}`))
          .finally(() => this.pending.delete(p));
        this.pending.add(p);
      },
    };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** stops taking clicks and commands, and lets the ones in hand finish */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const stopped = Promise.all([this.current?.disconnect().catch(() => undefined), this.loop]);
    // a connection attempt stuck in the network must not hold up a service stop
    let t: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((r) => (t = setTimeout(r, CLOSE_WAIT_MS)))]).finally(() => clearTimeout(t));
    await Promise.all([...this.pending]);
  }

  private async run(): Promise<void> {
    const initialMs = this.opts.backoff?.initialMs ?? 1000;
    const maxMs = this.opts.backoff?.maxMs ?? 60_000;
    let failures = 0;
    let down: string | null = null;
    while (!this.closing) {
      const sm = new SocketModeClient({
        appToken: this.opts.socket.appToken,
        logger: quietLogger,
        autoReconnectEnabled: false,
        clientOptions: {
          ...(this.opts.apiUrl ? { slackApiUrl: this.opts.apiUrl } : {}),
          retryConfig: { retries: 0 },
          timeout: this.opts.requestTimeoutMs,
        },
      });
      this.current = sm;
      const ended = new Promise<void>((resolve) => sm.on('disconnected', () => resolve()));
      this.wire(sm);
      try {
        await withTimeout(sm.start(), HELLO_TIMEOUT_MS, 'Slack opened the connection but never said hello');
        if (this.closing) {
          await sm.disconnect().catch(() => undefined);
          break;
        }
        failures = 0;
        this.report(
          'info',
          `Slack buttons are live: prompts and /fat commands are answered in Slack${down ? ` again (after: ${down})` : ''}`,
        );
        down = null;
        await ended;
        if (this.closing) break;
        down = 'the Socket Mode connection dropped';
        this.report('info', 'the Slack Socket Mode connection dropped; reconnecting');
      } catch (e) {
        failures++;
        const code = e instanceof WebAPIPlatformError ? String(e.data.error) : undefined;
        if (code && FATAL.has(code)) {
          this.report(
            'error',
            `Slack refuses the app token (${code}): the Slack buttons are off until icefat restarts with a valid SLACK_APP_TOKEN (connections:write); prompts still work at the terminal, with fat answer and in the browser`,
          );
          await sm.disconnect().catch(() => undefined);
          break;
        }
        const why = describe(e);
        if (down === null)
          this.report(
            'warn',
            `cannot reach Slack's Socket Mode (${why}): the Slack buttons are off until it comes back (retrying); prompts still work at the terminal, with fat answer and in the browser`,
          );
        down = why;
        await sm.disconnect().catch(() => undefined);
      } finally {
        sm.removeAllListeners();
        this.current = null;
      }
      if (!this.closing) await this.sleep(failures === 0 ? initialMs : Math.min(maxMs, initialMs * 2 ** Math.min(20, failures - 1)));
    }
  }

  private wire(sm: SocketModeClient): void {
    // errors also come as a rejected start() or a 'disconnected'; this keeps them from being unhandled
    sm.on('error', () => undefined);
    const handle = (what: string, fn: (body: unknown) => Promise<Ack>) => (evt: { ack: (r?: Ack) => Promise<void>; body: unknown }) => {
      void (async () => {
        let answer: Ack;
        try {
          answer = await fn(evt.body);
        } catch (e) {
          this.report('warn', `a Slack ${what} could not be handled: ${describe(e)}`);
          answer = what === 'command' ? { response_type: 'ephemeral', text: `icefat could not do that: ${describe(e)}` } : undefined;
        }
        await evt.ack(answer).catch(() => undefined);
      })();
    };
    sm.on(
      'interactive',
      handle('click', (body) => handleInteractive(this.scope, body)),
    );
    sm.on(
      'slash_commands',
      handle('command', (body) => handleSlashCommand(this.scope, body)),
    );
  }

  /** wall: the reconnect backoff towards Slack, a real service; a background loop */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private report(level: Level, message: string): void {
    try {
      this.opts.onProblem(level, scrub(message, [this.opts.botToken, this.opts.socket.appToken]));
    } catch {
      // reporting must not stop the link
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof WebAPIPlatformError) return `Slack answered ${String(e.data.error)}`;
  const err = e as { message?: string; original?: { message?: string; cause?: { code?: string } }; cause?: { code?: string } };
  const cause = err.original?.cause?.code ?? err.cause?.code;
  return [err.original?.message ?? err.message ?? String(e), cause].filter(Boolean).join(': ').slice(0, 300);
}

/** wall: a watchdog against a silent Slack, cleared when it answers */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

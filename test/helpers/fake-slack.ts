import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Slack's Web API on 127.0.0.1 (a port the OS picks): chat.postMessage,
 * conversations.open and conversations.history (with message metadata), bodies form- or
 * JSON-encoded as the SDK sends them. Failures are programmable in sequence: the first
 * `rateLimited` calls answer 429 (Retry-After), the next `serverErrors` answer 500, then
 * everything is ok. `slowMs` takes each message at once but answers only after that long (past a
 * client's timeout, Slack has the message all the same). `echoToken` puts the caller's token into
 * the error bodies, as a careless proxy might, to prove icefat scrubs it. For prompts answered in
 * Slack it also takes chat.update, chat.postEphemeral, views.open, usergroups.users.list and
 * apps.connections.open (whose WebSocket test/helpers/fake-slack-socket.ts serves on this port).
 */
export interface FakeSlackMessage {
  channel: string;
  text: string;
  token: string;
  /** the `metadata` the message was posted with, if any */
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  ts: string;
  /** Block Kit blocks, if any (a prompt's card) */
  blocks?: Array<Record<string, unknown>>;
}

export interface FakeSlackOptions {
  rateLimited?: number;
  retryAfterS?: number;
  serverErrors?: number;
  echoToken?: boolean;
  /** answer every call with { ok: false, error } (e.g. 'invalid_auth') */
  platformError?: string;
  /** users conversations.open does not know (user_not_found) */
  unknownUsers?: string[];
  /** chat.postMessage: store the message at once, answer after this many ms */
  slowMs?: number;
  /** usergroups.users.list: the members of each user group */
  groups?: Record<string, string[]>;
}

export interface FakeSlack {
  url: string;
  port: number;
  messages: FakeSlackMessage[];
  /** every call, in arrival order, with the HTTP status given */
  calls: Array<{ method: string; status: number }>;
  opened: string[];
  /** chat.update calls, in order (`messages` keep what was posted, as a client that has not refreshed shows it) */
  updates: Array<{ channel: string; ts: string; text: string; blocks?: Array<Record<string, unknown>> }>;
  /** chat.postEphemeral calls, in order */
  ephemerals: Array<{ channel: string; user: string; text: string }>;
  /** views.open calls, in order */
  views: Array<{ trigger_id: string; view: Record<string, unknown> }>;
  /** the HTTP server, for a Socket Mode stand-in to share (test/helpers/fake-slack-socket.ts) */
  server: http.Server;
  set(opts: FakeSlackOptions): void;
  close(): Promise<void>;
}

export async function startFakeSlack(initial: FakeSlackOptions = {}): Promise<FakeSlack> {
  let opts = { ...initial };
  let rateLeft = opts.rateLimited ?? 0;
  let errorsLeft = opts.serverErrors ?? 0;
  const messages: FakeSlackMessage[] = [];
  const calls: FakeSlack['calls'] = [];
  const opened: string[] = [];
  const updates: FakeSlack['updates'] = [];
  const ephemerals: FakeSlack['ephemerals'] = [];
  const views: FakeSlack['views'] = [];
  let port = 0;
  const json = (v: string | undefined) => (v ? (JSON.parse(v) as unknown) : undefined);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const body = parseBody(req.headers['content-type'] ?? '', Buffer.concat(chunks).toString('utf8'));
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        calls.push({ method, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      const echo = opts.echoToken ? ` (token ${token})` : '';
      if (rateLeft > 0) {
        rateLeft--;
        return answer(429, { ok: false, error: `ratelimited${echo}` }, { 'retry-after': String(opts.retryAfterS ?? 1) });
      }
      if (errorsLeft > 0) {
        errorsLeft--;
        return answer(500, { ok: false, error: `internal_error${echo}` });
      }
      if (opts.platformError) return answer(200, { ok: false, error: opts.platformError, detail: echo });
      if (method === 'chat.postMessage') {
        const ts = `${Date.now() / 1000}`;
        const metadata = body.metadata ? (JSON.parse(body.metadata) as FakeSlackMessage['metadata']) : undefined;
        const blocks = json(body.blocks) as FakeSlackMessage['blocks'];
        messages.push({ channel: body.channel ?? '', text: body.text ?? '', token, metadata, ts, ...(blocks ? { blocks } : {}) });
        const reply = () => (res.destroyed ? undefined : answer(200, { ok: true, channel: body.channel, ts }));
        if (opts.slowMs) return void setTimeout(reply, opts.slowMs);
        return reply();
      }
      if (method === 'conversations.history') {
        const oldest = Number(body.oldest ?? 0);
        const found = messages
          .filter((m) => m.channel === body.channel && Number(m.ts) >= oldest)
          .map((m) => ({
            type: 'message',
            text: m.text,
            ts: m.ts,
            ...(body.include_all_metadata === 'true' && m.metadata ? { metadata: m.metadata } : {}),
          }));
        return answer(200, { ok: true, messages: found.reverse(), has_more: false });
      }
      if (method === 'conversations.open') {
        const user = body.users ?? '';
        if (opts.unknownUsers?.includes(user)) return answer(200, { ok: false, error: 'user_not_found' });
        opened.push(user);
        return answer(200, { ok: true, channel: { id: `D-${user}` } });
      }
      if (method === 'chat.update') {
        const found = messages.find((m) => m.channel === body.channel && m.ts === body.ts);
        if (!found) return answer(200, { ok: false, error: 'message_not_found' });
        const blocks = json(body.blocks) as FakeSlackMessage['blocks'];
        updates.push({ channel: body.channel ?? '', ts: body.ts ?? '', text: body.text ?? '', ...(blocks ? { blocks } : {}) });
        return answer(200, { ok: true, channel: body.channel, ts: body.ts });
      }
      if (method === 'chat.postEphemeral') {
        ephemerals.push({ channel: body.channel ?? '', user: body.user ?? '', text: body.text ?? '' });
        return answer(200, { ok: true, message_ts: `${Date.now() / 1000}` });
      }
      if (method === 'views.open') {
        views.push({ trigger_id: body.trigger_id ?? '', view: json(body.view) as Record<string, unknown> });
        return answer(200, { ok: true, view: { id: `V${views.length}` } });
      }
      if (method === 'usergroups.users.list') {
        const users = opts.groups?.[body.usergroup ?? ''];
        return users ? answer(200, { ok: true, users }) : answer(200, { ok: false, error: 'no_such_subteam' });
      }
      if (method === 'apps.connections.open') {
        if (!token.startsWith('xapp-')) return answer(200, { ok: false, error: 'not_allowed_token_type' });
        return answer(200, { ok: true, url: `ws://127.0.0.1:${port}/socket-mode` });
      }
      return answer(404, { ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    port,
    messages,
    calls,
    opened,
    updates,
    ephemerals,
    views,
    server,
    set(o) {
      opts = { ...o };
      rateLeft = o.rateLimited ?? 0;
      errorsLeft = o.serverErrors ?? 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseBody(contentType: string, raw: string): Record<string, string | undefined> {
  if (!contentType.includes('application/json')) return Object.fromEntries(new URLSearchParams(raw));
  const json = JSON.parse(raw || '{}') as Record<string, unknown>;
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

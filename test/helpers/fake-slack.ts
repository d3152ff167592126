import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Slack's Web API on 127.0.0.1 (a port the OS picks): chat.postMessage,
 * conversations.open and conversations.history (with message metadata), bodies form- or
 * JSON-encoded as the SDK sends them. Failures are programmable in sequence: the first
 * `rateLimited` calls answer 429 (Retry-After), the next `serverErrors` answer 500, then
 * everything is ok. `slowMs` takes each message at once but answers only after that long (past a
 * client's timeout, Slack has the message all the same). `echoToken` puts the caller's token into
 * the error bodies, as a careless proxy might, to prove icefat scrubs it.
 */
export interface FakeSlackMessage {
  channel: string;
  text: string;
  token: string;
  /** the `metadata` the message was posted with, if any */
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  ts: string;
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
}

export interface FakeSlack {
  url: string;
  port: number;
  messages: FakeSlackMessage[];
  /** every call, in arrival order, with the HTTP status given */
  calls: Array<{ method: string; status: number }>;
  opened: string[];
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
        messages.push({ channel: body.channel ?? '', text: body.text ?? '', token, metadata, ts });
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
      return answer(404, { ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    port,
    messages,
    calls,
    opened,
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

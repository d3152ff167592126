import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Workspace } from '../station/workspace.js';
import { stationStatus } from '../engine/status.js';
import { AnswerError, answerOpenPrompt } from '../engine/answer-open.js';
import { ResultsError, resultsReport } from '../views/results-report.js';
import { requireUser, SESSION_COOKIE, type AuthEnv } from './auth.js';
import { eventsStream } from './events-sse.js';
import { responseCache } from './response-cache.js';
import { resolveHomeFile } from './files.js';
import { metricsText } from './metrics.js';
import { mountReadApi } from './read-api.js';
import { logbookApi } from './logbook-api.js';
import { accountsApi } from './accounts-api.js';
import { controlApi } from './control-api.js';
import { jobsApi } from './jobs-api.js';
import { stationsApi } from './stations-api.js';
import { mountDashboard } from './static.js';
import { login, logout, SESSION_HOURS } from './users.js';
import { parseAnswerBody, parseLoginBody } from './bodies.js';
import { clientAddress, overHttps, smallBodies, tooMany } from './guards.js';
import { Throttle } from './throttle.js';
import type { LoginAnswer, Session, Status } from '../records/api-types.js';
import type { SignupPolicy } from './accounts-api.js';

/**
 * The HTTP API of `fat serve`. Reading (status, results, events, files, metrics) is open to whoever
 * reaches the address (127.0.0.1 unless --host); answering a prompt needs a user.
 */
export interface AppOptions {
  /** SSE poll interval of /api/events, ms */
  pollMs?: number;
  /**
   * self sign-up: 'open' makes shifters (the default on loopback), 'viewer' makes read-only
   * accounts an administrator approves, 'off' refuses (the default beyond loopback)
   */
  signup?: SignupPolicy;
  /** behind a reverse proxy: its X-Forwarded-For and X-Forwarded-Proto are believed */
  trustProxy?: boolean;
}

/**
 * The read endpoints answered from memory until the store changes (response-cache.ts). The status
 * also depends on the clock (the master's heartbeat, ages, the ETA): kept one second at most.
 */
const STORE_ONLY = /^\/api\/(modules(\/[^/]+)?|results|runs(\/[^/]+)?|environment)$/;
function cachedFor(path: string): number | undefined {
  if (path === '/api/status') return 1000;
  return STORE_ONLY.test(path) ? Infinity : undefined;
}

/** Failed logins: 5 per account and 20 per address in 15 minutes, then a pause until the oldest leaves the window. */
const LOGIN_WINDOW_MS = 15 * 60_000;

async function jsonBody(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}

export function createApp(ws: Workspace, opts: AppOptions = {}) {
  const app = new Hono<AuthEnv>();

  app.onError((err, c) => {
    process.stderr.write(`fat serve: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}\n`);
    return c.json({ error: `${c.req.method} ${c.req.path} failed: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));

  app.use('/api/*', responseCache(ws.db as unknown as Kysely<unknown>, { ttlMs: cachedFor }));

  app.get('/api/status', async (c) => c.json((await stationStatus(ws)) satisfies Status));

  app.get('/api/results', async (c) => {
    try {
      return c.json(await resultsReport(ws, c.req.query('run'), c.req.query('module')));
    } catch (e) {
      if (e instanceof ResultsError) return c.json({ error: e.message }, 404);
      throw e;
    }
  });

  app.get('/api/events', (c) => eventsStream(ws, c, opts.pollMs));

  const trustProxy = Boolean(opts.trustProxy);
  app.use('*', smallBodies([{ method: 'POST', path: '/api/logbook' }]));

  mountSession(app, ws, trustProxy);

  app.post('/api/prompt/answer', requireUser(ws, 'answer'), async (c) => {
    const body = parseAnswerBody(await jsonBody(c.req.raw));
    if ('error' in body) return c.json({ error: body.error }, 400);
    try {
      const p = await answerOpenPrompt(ws, { answer: body.answer, reason: body.reason, by: c.var.user.name, via: 'web' });
      return c.json({ answered: { id: p.id, message: p.message, answer: body.answer, by: c.var.user.name } });
    } catch (e) {
      if (e instanceof AnswerError) return c.json({ error: e.message }, 409);
      throw e;
    }
  });

  app.get('/files/*', (c) => {
    const raw = new URL(c.req.url).pathname.replace(/^\/files\//, '');
    const f = resolveHomeFile(ws.home, raw);
    if (f.status !== 200) return c.json({ error: f.error }, f.status);
    const body = Readable.toWeb(fs.createReadStream(f.file)) as ReadableStream;
    return c.body(body, 200, { 'content-type': f.type, 'content-length': String(f.size), 'x-content-type-options': 'nosniff' });
  });

  app.route('/', logbookApi(ws));
  app.route('/', accountsApi(ws, { policy: opts.signup ?? 'open', trustProxy }));
  app.route('/', controlApi(ws));
  app.route('/', jobsApi(ws));
  app.route('/', stationsApi(ws));

  app.get('/metrics', async (c) => c.text(await metricsText(ws), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));

  mountReadApi(app, ws);
  mountDashboard(app);
  return app;
}

/** Login (throttled by account and by address), logout and who is logged in. */
function mountSession(app: Hono<AuthEnv>, ws: Workspace, trustProxy: boolean): void {
  const byAccount = new Throttle(5, LOGIN_WINDOW_MS);
  const byAddress = new Throttle(20, LOGIN_WINDOW_MS);

  app.post('/api/login', async (c) => {
    const body = parseLoginBody(await jsonBody(c.req.raw));
    if ('error' in body) return c.json({ error: body.error }, 400);
    const address = `address ${clientAddress(c, trustProxy)}`;
    const account = `account ${body.name}`;
    const wait = Math.max(byAccount.retryAfterS(account), byAddress.retryAfterS(address));
    if (wait) return tooMany(c, wait, 'logins');
    const s = await login(ws, body.name, body.password);
    if (!s) {
      byAccount.fail(account);
      byAddress.fail(address);
      return c.json({ error: 'wrong user name or password, or the user is disabled' }, 401);
    }
    byAccount.forget(account);
    setCookie(c, SESSION_COOKIE, s.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: SESSION_HOURS * 3600,
      secure: overHttps(c, trustProxy),
    });
    return c.json({ user: s.user.name, role: s.user.role, csrfToken: s.csrf } satisfies LoginAnswer);
  });

  app.post('/api/logout', requireUser(ws), async (c) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) await logout(ws, cookie);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.get('/api/me', requireUser(ws), (c) => c.json({ user: c.var.user.name, role: c.var.user.role } satisfies Session));
}

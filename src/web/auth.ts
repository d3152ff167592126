import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Workspace } from '../station/workspace.js';
import { refusal, type Action } from './roles.js';
import { sessionUser, tokenUser, type User } from './users.js';

/**
 * Who makes a request: `Authorization: Bearer TOKEN` (an API token of `fat user token`) or the
 * session cookie of POST /api/login. A request that changes state with the cookie must also send
 * the session's CSRF token in X-CSRF-Token; a bearer token needs none (a browser never adds it).
 */
export const SESSION_COOKIE = 'fat_session';

export type AuthEnv = { Variables: { user: User } };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

async function whoIs(ws: Workspace, c: Context): Promise<{ user: User } | { error: string; status: 401 | 403 }> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? await tokenUser(ws, m[1]) : undefined;
    return user ? { user } : { error: 'the bearer token is not valid (or its user is disabled)', status: 401 };
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) return { error: 'log in first (POST /api/login) or send Authorization: Bearer TOKEN', status: 401 };
  const s = await sessionUser(ws, cookie);
  if (!s) return { error: 'the session has expired or its user is disabled: log in again', status: 401 };
  if (!SAFE.has(c.req.method) && c.req.header('x-csrf-token') !== s.csrf)
    return { error: 'the X-CSRF-Token header is missing or wrong (it is returned by POST /api/login)', status: 403 };
  return { user: s.user };
}

/** Lets only known users through (with `action`, only those whose role allows it); sets c.var.user. */
export function requireUser(ws: Workspace, action?: Action): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const who = await whoIs(ws, c);
    if ('error' in who) return c.json({ error: who.error }, who.status);
    const no = action && refusal(who.user.name, who.user.role, action);
    if (no) return c.json({ error: no }, 403);
    c.set('user', who.user);
    await next();
  };
}

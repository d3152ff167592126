import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * What `fat serve` does to survive a lab network: request bodies limited per route (a login is
 * a few bytes; only an authenticated logbook post may carry files), and the client's address for
 * throttles and logs (the proxy's X-Forwarded-For only with --trust-proxy).
 */
export const SMALL_BODY_BYTES = 64 * 1024;

export function limitBody(maxBytes: number, what: string): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `the request body is larger than ${Math.round(maxBytes / 1024)} KiB, the limit for ${what}` }, 413),
  });
}

/** Every request that carries a body, but for the routes in `except` (they set their own limit, after authentication). */
export function smallBodies(except: ReadonlyArray<{ method: string; path: string }>): MiddlewareHandler {
  const limit = limitBody(SMALL_BODY_BYTES, 'this request');
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || except.some((e) => e.method === c.req.method && e.path === c.req.path))
      return next();
    return limit(c, next);
  };
}

/** The client's address: the socket's, or with `trustProxy` the first of X-Forwarded-For. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (fwd) return fwd;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by node (tests through app.request)
  }
}

/** Whether the request reached us over HTTPS (directly, or through a trusted proxy that says so). */
export function overHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** 429 with Retry-After, the same for every throttled route. */
export function tooMany(c: Context, retryAfterS: number, what: string) {
  c.header('retry-after', String(retryAfterS));
  return c.json({ error: `too many failed ${what}: try again in ${retryAfterS} s` }, 429);
}

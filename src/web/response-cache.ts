import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { changeMark } from '../store/change-mark.js';

/**
 * The read endpoints' answers kept until the store changes: a GET whose answer was made since the
 * last commit to the store (store/change-mark.ts) is answered from memory, and a client that
 * sends the answer's ETag back (If-None-Match) gets 304 Not Modified without a body. Answers that
 * also depend on the clock (the master's heartbeat, ages, the ETA) are kept for `ttlMs` at most.
 * Only 200 answers are kept, at most `maxBytes` of them (the least recently used go first).
 */
export interface ResponseCacheOptions {
  /** which paths are kept, and for how long at most (ms; Infinity: until the store changes) */
  ttlMs: (path: string) => number | undefined;
  maxBytes?: number;
}

interface Kept {
  mark: string;
  madeAt: number;
  etag: string;
  body: string;
  contentType: string;
}

export function responseCache(db: Kysely<unknown>, o: ResponseCacheOptions): MiddlewareHandler {
  const kept = new Map<string, Kept>();
  const maxBytes = o.maxBytes ?? 32 * 1024 * 1024;
  let bytes = 0;
  const forget = (key: string) => {
    const k = kept.get(key);
    if (k) bytes -= k.body.length;
    kept.delete(key);
  };
  return async (c, next) => {
    const ttl = c.req.method === 'GET' ? o.ttlMs(c.req.path) : undefined;
    if (ttl === undefined) return next();
    const url = new URL(c.req.url);
    const key = url.pathname + url.search;
    const mark = await changeMark(db);
    const hit = kept.get(key);
    const fresh = hit && hit.mark === mark && Date.now() - hit.madeAt < ttl;
    const answer = (k: Kept) => {
      const headers = { ETag: k.etag, 'Cache-Control': 'no-cache' };
      if (c.req.header('if-none-match') === k.etag) return new Response(null, { status: 304, headers });
      return new Response(k.body, { status: 200, headers: { ...headers, 'Content-Type': k.contentType } });
    };
    if (fresh) {
      // least recently used last
      kept.delete(key);
      kept.set(key, hit);
      return answer(hit);
    }
    forget(key);
    await next();
    const type = c.res.headers.get('content-type') ?? '';
    if (c.res.status !== 200 || !type.startsWith('application/json')) return;
    const body = await c.res.clone().text();
    const k: Kept = { mark, madeAt: Date.now(), etag: `"${createHash('sha1').update(body).digest('base64url')}"`, body, contentType: type };
    if (body.length <= maxBytes) {
      kept.set(key, k);
      bytes += body.length;
      for (const old of kept.keys()) {
        if (bytes <= maxBytes) break;
        forget(old);
      }
    }
    if (c.req.header('if-none-match') === k.etag) c.res = answer(k);
    else {
      c.res.headers.set('ETag', k.etag);
      c.res.headers.set('Cache-Control', 'no-cache');
    }
  };
}

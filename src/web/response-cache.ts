import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { changeMark } from '../store/change-mark.js';

/**
 * The read endpoints' answers kept until the store changes: a GET whose answer was made since the
 * last commit to the store (store/change-mark.ts) is answered from memory, and a client that
 * sends the answer's ETag back (If-None-Match) gets 304 Not Modified without a body. Answers that
 * also depend on the clock (the master's heartbeat, ages, the ETA) are kept for `ttlMs` at most.
 * Requests that come while an answer is being made wait for it rather than make it again. Only
 * 200 answers are kept, at most `maxBytes` of them (the least recently used go first).
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
  /** the answer being made for a key, and the store's mark it is made at */
  const making = new Map<string, { mark: string; done: Promise<Kept | undefined> }>();
  const keep = (key: string, k: Kept) => {
    forget(key);
    if (k.body.length > maxBytes) return;
    kept.set(key, k);
    bytes += k.body.length;
    for (const old of kept.keys()) {
      if (bytes <= maxBytes) break;
      forget(old);
    }
  };
  return async (c, next) => {
    const ttl = c.req.method === 'GET' ? o.ttlMs(c.req.path) : undefined;
    if (ttl === undefined) return next();
    const url = new URL(c.req.url);
    const key = url.pathname + url.search;
    const mark = await changeMark(db);
    const answer = (k: Kept) => {
      const headers = { ETag: k.etag, 'Cache-Control': 'no-cache' };
      if (c.req.header('if-none-match') === k.etag) return new Response(null, { status: 304, headers });
      return new Response(k.body, { status: 200, headers: { ...headers, 'Content-Type': k.contentType } });
    };
    const hit = kept.get(key);
    const sameStore = hit?.mark === mark;
    if (hit && sameStore && Date.now() - hit.madeAt < ttl) {
      // least recently used last
      kept.delete(key);
      kept.set(key, hit);
      return answer(hit);
    }
    // one request makes the answer; the others at the same mark wait for it (or, when only its
    // time ran out, get the last one meanwhile) instead of each making it again
    const other = making.get(key);
    if (other?.mark === mark) {
      if (hit && sameStore) return answer(hit);
      const k = await other.done;
      if (k) return answer(k);
    }
    let made: (k: Kept | undefined) => void = () => undefined;
    const mine = { mark, done: new Promise<Kept | undefined>((r) => (made = r)) };
    making.set(key, mine);
    try {
      await next();
      const type = c.res.headers.get('content-type') ?? '';
      if (c.res.status !== 200 || !type.startsWith('application/json')) return;
      const body = await c.res.clone().text();
      const k: Kept = {
        mark,
        madeAt: Date.now(),
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
        body,
        contentType: type,
      };
      keep(key, k);
      made(k);
      if (c.req.header('if-none-match') === k.etag) c.res = answer(k);
      else {
        c.res.headers.set('ETag', k.etag);
        c.res.headers.set('Cache-Control', 'no-cache');
      }
    } finally {
      made(undefined);
      if (making.get(key) === mine) making.delete(key);
    }
  };
}

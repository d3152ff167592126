import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/web/server.js';
import { addUser, createApiToken } from '../../src/web/users.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * `fat serve` on a lab network (issue 13, items 6 and 7): request bodies limited per route and
 * answered 413 before they are read into memory; logins throttled per account and per address
 * (429 with Retry-After); an unknown name answered as slowly as a known one; self sign-up off
 * beyond loopback, or read-only until an admin approves; actions allowed by role; Secure cookies
 * behind an HTTPS proxy.
 */
const PASSWORD = 'correct horse battery';

/** POSTs `bytes` of body without holding them in memory, as a hostile client would. */
function postHuge(url: string, path: string, bytes: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(bytes), ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('fat serve hardening', () => {
  let h: ServedHome;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}, url = h.server.url) =>
    fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const error = async (r: Response) => ((await r.json()) as { error: string }).error;
  const loginAs = async (name: string) => {
    const r = await post('/api/login', { name, password: PASSWORD });
    expect(r.status, name).toBe(200);
    const { csrfToken } = (await r.json()) as { csrfToken: string };
    return { cookie: r.headers.get('set-cookie')!.split(';')[0], 'x-csrf-token': csrfToken };
  };

  beforeAll(async () => {
    h = await servedHome();
    await seedRun(h.ws);
    await addUser(h.ws, 'alice', PASSWORD, 'admin');
    await addUser(h.ws, 'sam', PASSWORD, 'shifter');
    await addUser(h.ws, 'erin', PASSWORD, 'expert');
    await addUser(h.ws, 'mallory', PASSWORD, 'shifter');
  });
  afterAll(async () => h?.close());

  it('oversized bodies are a 413 before they are read: login, sign-up, actions; big files only in an authenticated logbook post', async () => {
    const before = process.memoryUsage().rss;
    const big = 200 * 1024 * 1024;
    const statuses = await Promise.all([
      postHuge(h.server.url, '/api/login', big),
      postHuge(h.server.url, '/api/signup', big),
      postHuge(h.server.url, '/api/master/pause', big),
      postHuge(h.server.url, '/api/prompt/answer', big),
    ]);
    expect(statuses).toEqual([413, 413, 413, 413]);
    // four 200 MB bodies were never held: the server (this process) grew by far less than one
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);

    // the logbook: a stranger is refused before the body counts, a user's text post is small,
    // only a multipart post with files may be large
    expect(await postHuge(h.server.url, '/api/logbook', 30 * 1024 * 1024)).toBe(401);
    const s = await loginAs('sam');
    expect(await postHuge(h.server.url, '/api/logbook', 2 * 1024 * 1024, s)).toBe(413);
    const form = new FormData();
    form.set('text', 'the freezer log');
    form.append('files', new Blob([new Uint8Array(3 * 1024 * 1024)]), 'log.bin');
    const withFile = await fetch(`${h.server.url}/api/logbook`, { method: 'POST', headers: s, body: form });
    expect(withFile.status, await withFile.clone().text()).toBe(201);
  });

  it('wrong passwords: five per account, then 429 with Retry-After even for the right one; other accounts go on', async () => {
    for (let i = 0; i < 5; i++) expect((await post('/api/login', { name: 'mallory', password: `guess ${i}` })).status).toBe(401);
    const locked = await post('/api/login', { name: 'mallory', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await error(locked)).toMatch(/too many failed logins: try again in \d+ s/);
    expect((await post('/api/login', { name: 'erin', password: PASSWORD })).status).toBe(200);
  });

  it('one address guessing across many names is stopped after 20 failures', async () => {
    const other = await servedHome();
    try {
      await addUser(other.ws, 'alice', PASSWORD, 'admin');
      const codes: number[] = [];
      for (let i = 0; i < 22; i++) codes.push((await post('/api/login', { name: `user${i}`, password: 'x' }, {}, other.server.url)).status);
      expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
      expect(codes.slice(20)).toEqual([429, 429]);
      expect((await post('/api/login', { name: 'alice', password: PASSWORD }, {}, other.server.url)).status).toBe(429);
    } finally {
      await other.close();
    }
  });

  it('an unknown name takes as long to refuse as a known one with a wrong password', async () => {
    const other = await servedHome();
    try {
      await addUser(other.ws, 'alice', PASSWORD, 'admin');
      const time = async (name: string) => {
        const t = performance.now();
        expect((await post('/api/login', { name, password: 'wrong one' }, {}, other.server.url)).status).toBe(401);
        return performance.now() - t;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      // alternate, below the throttle's limits (4 per account, 8 from this address)
      for (let i = 0; i < 4; i++) {
        known.push(await time('alice'));
        unknown.push(await time(`nobody${i}`));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      // both run one scrypt; without the decoy an unknown name answered about 4x faster
      expect(median(unknown) / median(known)).toBeGreaterThan(0.5);
    } finally {
      await other.close();
    }
  });

  it('roles: a shifter answers and pauses but cannot abort or exclude; an expert can; only an admin manages users', async () => {
    const sam = await loginAs('sam');
    const erin = await loginAs('erin');
    const abort = await post('/api/master/abort', { reason: 'x' }, sam);
    expect(abort.status).toBe(403);
    expect(await error(abort)).toBe('sam is a shifter: "abort" needs an expert or higher');
    expect((await post('/api/modules/DEgg2026-1-001/exclude', { reason: 'x' }, sam)).status).toBe(403);
    // a shifter's pause reaches the master's logic (here: no master runs, 409), not a refusal
    expect((await post('/api/master/pause', { reason: 'door' }, sam)).status).toBe(409);
    const excluded = await post('/api/modules/DEgg2026-1-001/exclude', { reason: 'cable' }, erin);
    expect(excluded.status, await excluded.clone().text()).toBe(200);
    expect((await post('/api/users/sam/role', { role: 'expert' }, erin)).status).toBe(403);
    const token = await createApiToken(h.ws, 'alice');
    const promoted = await post('/api/users/sam/role', { role: 'expert' }, { authorization: `Bearer ${token}` });
    expect(promoted.status).toBe(200);
    expect((await post('/api/modules/DEgg2026-1-001/include', {}, sam)).status).toBe(200);
  });

  it('beyond loopback self sign-up is off; with --signup new accounts are viewers until an admin approves', async () => {
    const off = await startServer(h.ws, '127.0.0.1', 0, { signup: 'off' });
    const viewer = await startServer(h.ws, '127.0.0.1', 0, { signup: 'viewer' });
    try {
      const refused = await post('/api/signup', { name: 'eve', password: 'long enough' }, {}, off.url);
      expect(refused.status).toBe(403);
      expect(await error(refused)).toContain('self sign-up is off');
      const made = await post('/api/signup', { name: 'victor', password: 'long enough' }, {}, viewer.url);
      expect(made.status).toBe(201);
      expect(await made.json()).toEqual({ user: 'victor', role: 'viewer' });
      const login = await post('/api/login', { name: 'victor', password: 'long enough' }, {}, viewer.url);
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const v = { cookie: login.headers.get('set-cookie')!.split(';')[0], 'x-csrf-token': csrfToken };
      const pause = await post('/api/master/pause', { reason: 'x' }, v, viewer.url);
      expect(pause.status).toBe(403);
      expect(await error(pause)).toContain('read-only until an administrator approves it');
    } finally {
      await Promise.all([off.close(), viewer.close()]);
    }
  });

  it('behind an HTTPS proxy (--trust-proxy) the session cookie is Secure; without trust the header is ignored', async () => {
    const proxied = await startServer(h.ws, '127.0.0.1', 0, { trustProxy: true });
    try {
      const https = await post('/api/login', { name: 'erin', password: PASSWORD }, { 'x-forwarded-proto': 'https' }, proxied.url);
      expect(https.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
      const plain = await post('/api/login', { name: 'erin', password: PASSWORD }, { 'x-forwarded-proto': 'https' });
      expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    } finally {
      await proxied.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createApiToken, disableUser } from '../../src/web/users.js';
import { openTestPrompt, servedHome, type ServedHome } from './server-home.js';

/**
 * Users and auth of fat serve: POST /api/prompt/answer without login (401, prompt stays open), with a session cookie and the CSRF
 * token, and with a bearer token; the answer records who answered, via 'web'.
 */
describe('fat serve: users, login, CSRF, bearer tokens', () => {
  let h: ServedHome;
  let url: string;
  let token: string;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const prompt = (id: number) => h.ws.db.selectFrom('prompts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    h = await servedHome();
    url = h.server.url;
    await addUser(h.ws, 'alice', 'correct horse battery', 'admin');
    await addUser(h.ws, 'bob', 'correct horse battery', 'shifter');
    token = await createApiToken(h.ws, 'bob');
  });
  afterAll(async () => h?.close());

  it('without login: 401 and the prompt stays open', async () => {
    const id = await openTestPrompt(h.ws, 'Check the light-tightness');
    const r = await post('/api/prompt/answer', { answer: 'yes' });
    expect(r.status).toBe(401);
    const bad = await post('/api/prompt/answer', { answer: 'yes' }, { authorization: 'Bearer not-a-token' });
    expect(bad.status).toBe(401);
    expect((await prompt(id)).answered_at).toBeNull();
    expect(await post('/api/login', { name: 'alice', password: 'wrong password' }).then((x) => x.status)).toBe(401);
    await h.ws.db.updateTable('prompts').set({ answered_at: new Date().toISOString(), answer: 'yes' }).where('id', '=', id).execute();
  });

  it('login gives an HttpOnly SameSite=Strict cookie; answering needs the CSRF token and records the user', async () => {
    const id = await openTestPrompt(h.ws, 'Close the freezer door');
    const login = await post('/api/login', { name: 'alice', password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const { csrfToken, user } = (await login.json()) as { csrfToken: string; user: string };
    expect(user).toBe('alice');
    const cookie = setCookie.split(';')[0];

    const noCsrf = await post('/api/prompt/answer', { answer: 'yes' }, { cookie });
    expect(noCsrf.status).toBe(403);
    expect((await prompt(id)).answered_at).toBeNull();

    const badBody = await post('/api/prompt/answer', { answer: 'maybe' }, { cookie, 'x-csrf-token': csrfToken });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: string }).error).toContain('"answer"');
    const noReason = await post('/api/prompt/answer', { answer: 'no' }, { cookie, 'x-csrf-token': csrfToken });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { error: string }).error).toContain('"reason"');
    expect((await prompt(id)).answered_at).toBeNull();

    const ok = await post('/api/prompt/answer', { answer: 'yes' }, { cookie, 'x-csrf-token': csrfToken });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const p = await prompt(id);
    expect([p.answer, p.answered_by, p.via]).toEqual(['yes', 'alice', 'web']);
    const ev = await h.ws.db.selectFrom('events').selectAll().where('kind', '=', 'prompt.answer-web').executeTakeFirstOrThrow();
    expect(ev.message).toContain('alice answered yes to "Close the freezer door"');

    const again = await post('/api/prompt/answer', { answer: 'yes' }, { cookie, 'x-csrf-token': csrfToken });
    expect(again.status).toBe(409);
  });

  it('a bearer token answers without CSRF; a disabled user is refused', async () => {
    const id = await openTestPrompt(h.ws, 'Replace the fibre');
    const ok = await post('/api/prompt/answer', { answer: 'no', reason: 'fibre broken' }, { authorization: `Bearer ${token}` });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const p = await prompt(id);
    expect([p.answer, p.reason, p.answered_by, p.via]).toEqual(['no', 'fibre broken', 'bob', 'web']);

    const id2 = await openTestPrompt(h.ws, 'Once more');
    await disableUser(h.ws, 'bob');
    const refused = await post('/api/prompt/answer', { answer: 'yes' }, { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(401);
    expect((await prompt(id2)).answered_at).toBeNull();
  });
});

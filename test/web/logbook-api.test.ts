import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent, recordChecks } from '../../src/records/check-results.js';
import type { LogbookEntry } from '../../src/records/api-types.js';
import { attachmentsDir } from '../../src/logbook/files.js';
import { addUser, createApiToken } from '../../src/web/users.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * The FAT logbook through `fat serve` on a real socket: posting with attachments and finding the
 * entry by search, what is refused (no login, no CSRF token, a path out of the attachment folder),
 * automatic entries from the run's events, the Start New Run form filled in from a seeded run, and
 * shifters signing up and being disabled by an admin.
 */
describe('fat serve: the logbook', () => {
  let h: ServedHome;
  let url: string;
  let cookie: string;
  let csrf: string;
  let token: string;

  const entries = async (query = '') => {
    const r = await fetch(`${url}/api/logbook${query}`);
    expect(r.status, await r.clone().text()).toBe(200);
    return ((await r.json()) as { entries: LogbookEntry[] }).entries;
  };
  const count = async () =>
    Number(
      (
        await h.ws.db
          .selectFrom('logbook_entries')
          .select((e) => e.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const postJson = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    h = await servedHome();
    url = h.server.url;
    await addUser(h.ws, 'alice', 'correct horse battery', 'admin');
    await addUser(h.ws, 'bob', 'correct horse battery', 'shifter');
    token = await createApiToken(h.ws, 'bob');
    await seedRun(h.ws);
    const login = await postJson('/api/login', { name: 'alice', password: 'correct horse battery' });
    cookie = login.headers.get('set-cookie')!.split(';')[0];
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  });
  afterAll(async () => h?.close());

  it('posts an entry with an attachment (multipart, session + CSRF) and finds it by text, tag and run; the file comes back intact', async () => {
    const png = crypto.randomBytes(5000);
    png.set([0x89, 0x50, 0x4e, 0x47], 0);
    const form = new FormData();
    form.set('text', 'Replaced the **fibre** of channel 3; gain plot attached.');
    form.append('tags', 'fibre, laser');
    form.set('run', '1');
    form.append('files', new Blob([png], { type: 'image/png' }), '../../etc/gain plot.png');
    const r = await fetch(`${url}/api/logbook`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, body: form });
    expect(r.status, await r.clone().text()).toBe(201);
    const e = (await r.json()) as LogbookEntry;
    expect(e).toMatchObject({ author: 'alice', run: 1, tags: ['fibre', 'laser'], source: 'user', kind: 'note' });
    expect(e.attachments).toHaveLength(1);
    const a = e.attachments[0];
    expect(a.filename).toBe('gain plot.png');
    expect(a.sha256).toBe(crypto.createHash('sha256').update(png).digest('hex'));
    expect(a.size).toBe(5000);

    expect((await entries('?q=FIBRE%20channel')).map((x) => x.id)).toContain(e.id);
    expect((await entries('?q=gain%20plot.png')).map((x) => x.id)).toContain(e.id);
    expect((await entries('?tag=laser')).map((x) => x.id)).toEqual([e.id]);
    expect((await entries('?run=1&author=alice')).map((x) => x.id)).toContain(e.id);
    expect(await entries('?q=fibre%20nothing-like-this')).toEqual([]);

    const got = await fetch(`${url}/api/logbook/attachments/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    // stored by content under the home's logbook folder, not under the name it was sent with
    expect(fs.existsSync(path.join(attachmentsDir(h.ws.home), a.sha256.slice(0, 2), a.sha256))).toBe(true);

    const one = await fetch(`${url}/api/logbook/${e.id}`);
    expect(((await one.json()) as LogbookEntry).text).toContain('**fibre**');
  });

  it('an HTML attachment is only offered for download, never run in the dashboard origin', async () => {
    const form = new FormData();
    form.set('text', 'a page someone saved');
    form.append('files', new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), 'page.html');
    const r = await fetch(`${url}/api/logbook`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(r.status, await r.clone().text()).toBe(201);
    const e = (await r.json()) as LogbookEntry;
    expect(e.author).toBe('bob');
    const got = await fetch(`${url}/api/logbook/attachments/${e.attachments[0].id}`);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('without login: 401 and nothing is created; with the cookie but no CSRF token: 403', async () => {
    const before = await count();
    const anon = await postJson('/api/logbook', { text: 'sneaky' });
    expect(anon.status).toBe(401);
    const form = new FormData();
    form.set('text', 'sneaky with a file');
    form.append('files', new Blob(['x']), 'x.txt');
    expect((await fetch(`${url}/api/logbook`, { method: 'POST', body: form })).status).toBe(401);
    const noCsrf = await postJson('/api/logbook', { text: 'forged by another site' }, { cookie });
    expect(noCsrf.status).toBe(403);
    expect(await count()).toBe(before);
    expect(await entries('?q=sneaky')).toEqual([]);
  });

  it('bad input is named: empty text, a bad tag, an unknown run', async () => {
    const h1 = { authorization: `Bearer ${token}` };
    const empty = await postJson('/api/logbook', { text: '  ' }, h1);
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toContain('"text"');
    const badTag = await postJson('/api/logbook', { text: 'x', tags: ['ok', 'no spaces please'] }, h1);
    expect(badTag.status).toBe(400);
    expect(((await badTag.json()) as { error: string }).error).toContain('"tags"[1]');
    const noRun = await postJson('/api/logbook', { text: 'x', run: 99 }, h1);
    expect(noRun.status).toBe(404);
    expect(((await noRun.json()) as { error: string }).error).toContain('run 99 does not exist');
  });

  it('a file over the size limit is refused with 413 naming it, and nothing is kept', async () => {
    const before = await count();
    const form = new FormData();
    form.set('text', 'a raw data file that is too big');
    form.append('files', new Blob([new Uint8Array(20 * 1024 * 1024 + 1)]), 'waveforms.hdf5');
    const r = await fetch(`${url}/api/logbook`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: string }).error).toMatch(/waveforms\.hdf5.*at most 20 MiB/);
    expect(await count()).toBe(before);
  });

  it('attachments cannot leave their folder', async () => {
    // a file next to the attachment folder, and a row that points at it
    fs.writeFileSync(path.join(h.dir, 'secret.txt'), 'the station password');
    const entry = await h.ws.db
      .insertInto('logbook_entries')
      .values({
        station: h.ws.station.name,
        run_id: null,
        author: 'x',
        created_at: new Date().toISOString(),
        text: 'x',
        tags: '[]',
        source: 'user',
        kind: 'note',
        event_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await h.ws.db
      .insertInto('logbook_attachments')
      .values({ entry_id: entry.id, filename: 'secret.txt', content_type: 'text/plain', size: 1, sha256: 'x', path: '../../secret.txt' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await fetch(`${url}/api/logbook/attachments/${row.id}`);
    expect(r.status).toBe(404);
    expect(await r.text()).not.toContain('station password');
    for (const p of ['..%2F..%2Fsecret.txt', '%2e%2e', '1%00']) {
      const x = await fetch(`${url}/api/logbook/attachments/${p}`);
      expect(x.status).toBe(404);
      expect(await x.text()).not.toContain('station password');
    }
  });

  it('the Start New Run form comes filled in from the run; its confirmation becomes an entry', async () => {
    const run = await h.ws.db.selectFrom('runs').select('id').where('run_number', '=', 1).executeTakeFirstOrThrow();
    await recordChecks(h.ws, run.id, [
      {
        check: 'peripherals',
        subject: 'thermometer',
        verdict: 'pass',
        message: '4 channels read: -39.8 .. -40.2 °C',
        reading: {},
        tolerance: '',
      },
      {
        check: 'peripherals',
        subject: 'humidity',
        verdict: 'fail',
        message: 'no answer from the humidity sensor',
        reading: {},
        tolerance: '',
      },
    ]);
    const r = await fetch(`${url}/api/logbook/new-run-form?run=1`);
    expect(r.status, await r.clone().text()).toBe(200);
    const f = (await r.json()) as {
      run: number;
      date: string;
      comment: string;
      modules: Array<{ port: number; serial: string }>;
      checks: Array<{ subject: string; verdict: string }>;
      shifters: string[];
      schedule: unknown;
    };
    expect(f).toMatchObject({ run: 1, date: '2026-11-27', comment: 'api test', schedule: null });
    expect(f.modules.map((m) => [m.port, m.serial])).toEqual([
      [5000, 'DEgg2026-1-001'],
      [5001, 'DEgg2026-1-002'],
    ]);
    expect(f.checks.map((c) => [c.subject, c.verdict])).toEqual([
      ['thermometer', 'pass'],
      ['humidity', 'fail'],
    ]);
    expect(f.shifters).toContain('alice');

    const missing = await postJson('/api/logbook/new-run-form', { run: 1 }, { cookie, 'x-csrf-token': csrf });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toContain('laserPowerSupplyOn');
    const ok = await postJson(
      '/api/logbook/new-run-form',
      { run: 1, laserPowerSupplyOn: true, remarks: 'Humidity sensor replugged.' },
      { cookie, 'x-csrf-token': csrf },
    );
    expect(ok.status, await ok.clone().text()).toBe(201);
    const e = (await ok.json()) as LogbookEntry;
    expect(e).toMatchObject({ kind: 'new-run-form', run: 1, author: 'alice' });
    expect(e.text).toContain('| 5001 | DEgg2026-1-002 |');
    expect(e.text).toContain('no answer from the humidity sensor');
    expect(e.text).toContain('Humidity sensor replugged.');
    expect((await entries('?kind=new-run-form')).map((x) => x.id)).toEqual([e.id]);
    expect((await fetch(`${url}/api/logbook/new-run-form?run=42`)).status).toBe(404);
  });

  it('events of the run become automatic entries, once each; the run end lists every module with its verdict', async () => {
    const run = await h.ws.db.selectFrom('runs').select('id').where('run_number', '=', 1).executeTakeFirstOrThrow();
    await recordEvent(h.ws, run.id, 'info', 'run.start', 'Executing FAT Master Script; run 1, 2 D-Eggs');
    await recordEvent(h.ws, run.id, 'info', 'task.start', 'a task starts (not for the logbook)');
    await recordEvent(h.ws, run.id, 'info', 'prompt.answer-web', 'carol answered yes to "Close the freezer" in the browser', {
      reason: null,
    });
    await recordEvent(h.ws, run.id, 'warn', 'conditions.paused', 'Paused between tasks: humidity 12% above 10%');
    await recordEvent(h.ws, run.id, 'warn', 'module.excluded', 'D-Egg DEgg2026-1-002 on port 5001 is excluded', { port: 5001 });
    await recordEvent(h.ws, run.id, 'info', 'run.complete', 'Schedule Completed: run 1, 10/10 tasks done');
    const auto = await entries('?tag=auto&run=1');
    expect(auto.map((e) => e.kind).sort()).toEqual(['exclusion', 'operator-action', 'pause', 'run-end', 'run-start']);
    expect(auto.find((e) => e.kind === 'operator-action')!.author).toBe('carol');
    const end = auto.find((e) => e.kind === 'run-end')!;
    expect(end.text).toContain('1 pass, 0 marginal, 1 fail');
    expect(end.text).toMatch(/\| 5000 \| DEgg2026-1-001 \| active \| pass \|/);
    expect(end.text).toMatch(/\| 5001 \| DEgg2026-1-002 \| active \| fail \|/);
    // reading again (another process, another page) makes no second entry
    await entries();
    expect(await entries('?tag=auto&run=1')).toHaveLength(5);
    expect(await entries('?kind=run-end')).toHaveLength(1);
  });

  it('a shifter signs up; a taken name is 409; only an admin disables accounts', async () => {
    const bad = await postJson('/api/signup', { name: 'dave smith', password: 'long enough' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('"name"');
    expect((await postJson('/api/signup', { name: 'dave', password: 'short' })).status).toBe(400);
    const ok = await postJson('/api/signup', { name: 'dave', password: 'long enough' });
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await ok.json()).toEqual({ user: 'dave', role: 'shifter' });
    expect((await postJson('/api/signup', { name: 'dave', password: 'another one' })).status).toBe(409);
    const dl = await postJson('/api/login', { name: 'dave', password: 'long enough' });
    expect(dl.status).toBe(200);

    const byShifter = await postJson('/api/users/dave/disable', {}, { authorization: `Bearer ${token}` });
    expect(byShifter.status).toBe(403);
    const byAdmin = await postJson('/api/users/dave/disable', {}, { cookie, 'x-csrf-token': csrf });
    expect(byAdmin.status, await byAdmin.clone().text()).toBe(200);
    expect((await postJson('/api/login', { name: 'dave', password: 'long enough' })).status).toBe(401);
    expect((await postJson('/api/users/nobody/disable', {}, { cookie, 'x-csrf-token': csrf })).status).toBe(404);
  });
});

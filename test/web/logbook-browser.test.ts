import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordChecks } from '../../src/records/check-results.js';
import { postEntry, searchEntries } from '../../src/logbook/entries.js';
import { addUser } from '../../src/web/users.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/**
 * The logbook in headless Chromium against `fat serve`: a shifter logs in, posts an entry with a
 * file, finds it by search and opens the file; the Start New Run form comes filled in from a seeded
 * run, is confirmed and lands in the logbook. The store is seeded directly: no lab needed.
 */
describe('the logbook in the browser', () => {
  let h: ServedHome;
  let b: TestBrowser;

  beforeAll(async () => {
    h = await servedHome();
    await addUser(h.ws, 'alice', 'correct horse battery', 'admin');
    await seedRun(h.ws);
    const run = await h.ws.db.selectFrom('runs').select('id').executeTakeFirstOrThrow();
    await recordChecks(h.ws, run.id, [
      { check: 'peripherals', subject: 'thermometer', verdict: 'pass', message: 'channels read -40.1 °C', reading: {}, tolerance: '' },
      { check: 'peripherals', subject: 'filter wheel 1', verdict: 'pass', message: 'position 3 confirmed', reading: {}, tolerance: '' },
    ]);
    b = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('an entry posted with an attachment is found by search', async () => {
    const p = await b.newPage();
    await p.goto(`${h.server.url}/#/logbook`);
    await p.getByLabel('user name', { exact: true }).fill('alice');
    await p.getByLabel('password', { exact: true }).fill('correct horse battery');
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByLabel('entry text').fill('Fibre of channel 7 **replaced**; see the plot');
    await p.getByLabel('entry tags').fill('fibre, hardware');
    await p
      .getByLabel('entry files')
      .setInputFiles({ name: 'fibre-7.txt', mimeType: 'text/plain', buffer: Buffer.from('attenuation 0.3 dB\n') });
    await p.getByRole('button', { name: 'Post' }).click();
    // the new entry is on the page, its Markdown rendered
    await expect.poll(() => p.getByTestId('logbook-entry').first().locator('strong').textContent()).toBe('replaced');

    await p.getByLabel('search').fill('channel 7');
    await p.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => p.getByTestId('logbook-entry').count()).toBe(1);
    const entry = p.getByTestId('logbook-entry');
    expect(await entry.textContent()).toContain('alice');
    const link = entry.getByRole('link', { name: 'fibre-7.txt' });
    const href = await link.getAttribute('href');
    const file = await p.request.get(`${h.server.url}${href}`);
    expect(await file.text()).toBe('attenuation 0.3 dB\n');

    await p.getByLabel('search').fill('no such words here');
    await p.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => p.getByTestId('logbook-empty').isVisible()).toBe(true);
  }, 60_000);

  it('what a person writes is shown as text: no markup, no script, no javascript: links', async () => {
    await postEntry(h.ws, {
      author: 'mallory',
      text: 'After measure_gain and wait_time_0, _really_: look <img src=x onerror="window.__xss=1"> and [here](javascript:window.__xss=2) and [the docs](https://icecube.wisc.edu) and [off-site](//evil.example/x) and [backslash](/\\evil.example) and [run 1](/#/runs/1)',
    });
    const p = await b.newPage();
    await p.goto(`${h.server.url}/#/logbook`);
    const entry = p.getByTestId('logbook-entry').filter({ hasText: 'mallory' });
    await expect.poll(() => entry.textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await entry.locator('img').count()).toBe(0);
    expect(await entry.textContent()).toContain('After measure_gain and wait_time_0, really: look');
    expect(await entry.locator('em').textContent()).toBe('really');
    // protocol-relative (//host) and backslash (/\host) addresses leave the site: shown as text
    const links = entry.getByRole('link');
    expect(await links.count()).toBe(2);
    expect(await links.nth(0).getAttribute('href')).toBe('https://icecube.wisc.edu');
    expect(await links.nth(1).getAttribute('href')).toBe('/#/runs/1');
    expect(await entry.textContent()).toContain('[off-site](//evil.example/x)');
    expect(await entry.textContent()).toContain('[backslash](/\\evil.example)');
    expect(await p.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }, 60_000);

  it('the Start New Run form comes filled in from the run, and its confirmation lands in the logbook', async () => {
    const p = await b.newPage();
    await p.goto(`${h.server.url}/#/new-run/1`);
    await expect.poll(() => p.getByTestId('form-run').textContent()).toBe('1');
    expect(await p.getByTestId('form-date').textContent()).toBe('2026-11-27');
    expect(await p.getByTestId('form-comment').textContent()).toBe('api test');
    expect(await p.getByTestId('form-shifters').textContent()).toContain('alice');
    const modules = await p.getByTestId('form-modules').textContent();
    expect(modules).toContain('DEgg2026-1-001');
    expect(modules).toContain('5001');
    expect(await p.getByTestId('form-checks').textContent()).toContain('position 3 confirmed');

    // the session of the first page is this context's too (sessionStorage is per tab: log in again)
    await p.getByLabel('user name', { exact: true }).fill('alice');
    await p.getByLabel('password', { exact: true }).fill('correct horse battery');
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByLabel('laser power supply on').check();
    await p.getByLabel('remarks').fill('All peripherals fine.');
    await p.getByRole('button', { name: 'Confirm and post to the logbook' }).click();
    await expect.poll(() => p.getByTestId('form-posted').isVisible()).toBe(true);
    const [e] = await searchEntries(h.ws, { kind: 'new-run-form' });
    expect(e).toMatchObject({ author: 'alice', run: 1 });
    expect(e.text).toContain('yes (confirmed by the shifter)');
    expect(e.text).toContain('All peripherals fine.');
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { addUser } from '../../src/web/users.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import { query, spawnFat, writeSchedule, type Background } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The Now page in headless Chromium while `fat master` runs on the simulated lab in another
 * process: the current task follows the master without a reload, an action without login shows
 * the server's 401 and changes nothing, and after logging in a click on Yes answers the prompt
 * and the master goes on to the end.
 */
describe('dashboard: the Now page follows a live run', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let ws: Workspace;
  let server: RunningServer;
  let browser: TestBrowser;
  let page: Page;
  let master: Background | undefined;
  // the text of a part of the page, '' while it is not there (yet)
  const text = (testId: string) =>
    page
      .getByTestId(testId)
      .textContent({ timeout: 500 })
      .then((t) => t ?? '')
      .catch(() => '');

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.dashboardLive, { timeScale: 50 });
    // a loaded machine (CI runs test files in parallel) starts the DomNet stand-ins slowly
    allowSlowDomnet(env.dir, 150);
    const setup = await fat(env.dir, ['setup'], {}, 200_000);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', 'dashboard live']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    ws = await openWorkspace(env.dir);
    await addUser(ws, 'alice', 'correct horse battery', 'admin');
    server = await startServer(ws, '127.0.0.1', 0, { pollMs: 200 });
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 300_000);

  afterAll(async () => {
    if (master && master.child.exitCode === null) master.child.kill('SIGKILL');
    await browser?.close();
    await server?.close();
    await ws?.close();
    await env?.close();
  }, 90_000);

  it('shows the run live, refuses actions without login, and answers the prompt with a click', async () => {
    await page.goto(`${server.url}/#/now`);
    await expect.poll(() => text('master'), { timeout: 15_000 }).toContain('master: not running');
    expect(await page.getByTestId('current-task').count()).toBe(0);
    // a marker that a reload would wipe
    await page.evaluate(() => ((globalThis as unknown as { fatMarker: number }).fatMarker = 42));

    const ini = writeSchedule(env.dir, 'live', [
      { name: 'wait_time_0', task: 'wait_time', pause: 400 },
      { name: 'manual_input_0', task: 'manual_input', message: 'Is the freezer door closed?' },
      { name: 'wait_time_1', task: 'wait_time', pause: 50 },
    ]);
    master = spawnFat(env.dir, ['master', ini], { FAT_OPERATOR: 'alice' });

    await expect.poll(() => text('current-task'), { timeout: 60_000, interval: 200 }).toContain('[0] wait_time_0');
    expect(await text('master')).toContain('master: running');
    await expect.poll(() => text('current-task'), { timeout: 30_000, interval: 200 }).toContain('[1] manual_input_0');
    await expect
      .poll(() =>
        page
          .locator('tr[data-current="true"]')
          .textContent({ timeout: 500 })
          .catch(() => ''),
      )
      .toContain('manual_input_0');
    const prompt = page.getByTestId('prompt');
    await expect.poll(() => text('prompt')).toContain('Is the freezer door closed?');

    // without login: the server's 401 text on the page, and nothing changed
    const requestsBefore = query(env.dir, 'select count(*) n from operator_requests');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => text('action-error')).toContain('Pause: log in first');
    await prompt.getByRole('button', { name: 'Yes' }).click();
    await expect
      .poll(() =>
        prompt
          .getByRole('alert')
          .textContent({ timeout: 500 })
          .catch(() => ''),
      )
      .toContain('log in first');
    expect(query(env.dir, 'select answered_at from prompts')).toEqual([{ answered_at: null }]);
    expect(query(env.dir, 'select count(*) n from operator_requests')).toEqual(requestsBefore);

    // log in with the box in the header, then Yes: the master goes on to the end
    await page.getByLabel('user name').fill('alice');
    await page.getByLabel('password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => text('login')).toContain('logged in as alice');
    await prompt.getByRole('button', { name: 'Yes' }).click();

    const done = await master.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(query(env.dir, 'select answer, answered_by, via from prompts')).toEqual([{ answer: 'yes', answered_by: 'alice', via: 'web' }]);
    await expect.poll(() => text('progress'), { timeout: 15_000 }).toContain('3/3 tasks done');
    expect(await page.getByTestId('prompt').count()).toBe(0);
    await expect.poll(() => text('schedule')).toMatch(/wait_time_1\s*wait_time\s*done/);
    // all of it without a reload
    expect(await page.evaluate(() => (globalThis as unknown as { fatMarker?: number }).fatMarker)).toBe(42);
  }, 180_000);
});

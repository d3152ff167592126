import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { FIT_COLOUR } from '../../src/report/charts.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import { query } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The reading pages in headless Chromium, without logging in, after a real gain scan on the
 * simulated lab (`fat measure gain`): the module grid shows each D-Egg's HV at gain 1e7, a module's
 * page draws its gain scan with the fitted power law and its SPE charge histograms, the runs page
 * lists the run, the environment page plots what `fat check peripherals` read with the humidity
 * limit; and the Exclude button without login shows the server's 401 and excludes nothing.
 */
describe('dashboard: reading pages after a gain scan', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let ws: Workspace;
  let server: RunningServer;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.dashboardModule, { timeScale: 1000 });
    // a loaded machine (CI runs test files in parallel) starts the DomNet stand-ins slowly
    allowSlowDomnet(env.dir, 150);
    const setup = await fat(env.dir, ['setup'], {}, 200_000);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', 'dashboard gain']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const gain = await fat(env.dir, ['measure', 'gain', '-j', '4', '--events', '1500', '--comment', 'scan'], {}, 150_000);
    expect(gain.code, gain.stdout + gain.stderr).toBe(0);
    const checks = await env.run(['check', 'peripherals']);
    expect(checks.code, checks.stdout + checks.stderr).toBe(0);
    ws = await openWorkspace(env.dir);
    server = await startServer(ws, '127.0.0.1', 0, { pollMs: 200 });
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ws?.close();
    await env?.close();
  }, 90_000);

  it('the module grid and a module page with its gain plot, with no login', async () => {
    const hv = query<{ degg_serial: string; port: number; value: number }>(
      env.dir,
      "select degg_serial, port, value from results where name = 'gain.hv1e7' and pmt = 'LowerPmt' order by port",
    );
    expect(hv).toHaveLength(16);
    await page.goto(`${server.url}/#/modules`);
    const tiles = page.getByTestId('module-tile');
    await expect.poll(() => tiles.count(), { timeout: 15_000 }).toBe(16);
    const first = tiles.filter({ hasText: hv[0].degg_serial });
    expect(await first.textContent()).toContain(`HV at 1e7: ${Number(hv[0].value.toPrecision(4))} /`);

    await first.click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/module/${hv[0].degg_serial}`);
    const chart = page.getByTestId('gain-chart');
    // the fitted power law is drawn in FIT_COLOUR, the scan points as markers
    await expect.poll(() => chart.locator(`svg path[stroke="${FIT_COLOUR}"]`).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await chart.locator('svg').textContent()).toContain('gain against HV');
    // the SPE charges of the scan's last HV point, from its HDF5 file, as a histogram per PMT
    const spe = (await (await fetch(`${server.url}/api/modules/${hv[0].degg_serial}/spe`)).json()) as {
      histograms: Array<{ pmt: string; entries: number; counts: number[] }>;
      notes: string[];
    };
    expect(spe.notes).toEqual([]);
    expect(spe.histograms.map((x) => x.pmt)).toEqual(['LowerPmt', 'UpperPmt']);
    for (const x of spe.histograms) expect(x.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.95 * x.entries);
    await expect.poll(() => page.getByTestId('spe-chart').locator('svg path').count()).toBeGreaterThan(2);
    expect(await page.getByTestId('spe-chart').locator('svg').textContent()).toContain('SPE charge');
    expect(await page.getByTestId('module-runs').textContent()).toMatch(/1\s*sim-station\s*\d{4}-\d\d-\d\d\s*active/);

    await page.goto(`${server.url}/#/runs`);
    await expect.poll(() => page.getByTestId('runs').textContent()).toContain('dashboard gain');
    await page.goto(`${server.url}/#/run/1`);
    await expect.poll(() => page.getByTestId('verdicts').locator('tbody tr').count()).toBe(16);
    await page.goto(`${server.url}/#/environment`);
    await expect.poll(() => page.getByTestId('environment').textContent()).toContain('humidity at most');
    // the thermometer channels and humidity that `fat check peripherals` read, with the humidity limit
    await expect.poll(() => page.getByTestId('freezer-chart').locator('svg').textContent()).toContain('freezer air');
    const humidity = await page.getByTestId('humidity-chart').locator('svg').textContent();
    expect(humidity).toContain('H1');
    expect(humidity).toContain('limit 60 %');
  }, 60_000);

  it('Exclude without login shows the 401 and excludes nothing', async () => {
    await page.goto(`${server.url}/#/now`);
    const rows = page.getByTestId('modules').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(16);
    await page.getByLabel('reason').fill('looks odd');
    await rows.first().getByRole('button', { name: 'Exclude' }).click();
    await expect.poll(() => page.getByTestId('action-error').textContent()).toMatch(/Exclude DEgg.*: log in first/);
    expect(query(env.dir, "select count(*) n from modules where state != 'active'")).toEqual([{ n: 0 }]);
  }, 30_000);
});

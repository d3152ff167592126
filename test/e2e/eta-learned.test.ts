import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { labWithHome, TEST_ENV } from '../helpers/fat-cli.js';
import { query, setupRun, spawnFat, waitFor, writeSchedule, type Background, type Section } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The ETA learns from the station's finished runs: after two runs of a schedule on the simulated
 * lab (time scale 10), `fat schedule check`, the start message, `fat status` and the dashboard give
 * the third run's ETA from the median of those runs, and bench/eta.ts, replaying the third run,
 * finds its error smaller than that of the catalogue's fixed estimates.
 *
 * A short housekeeping schedule, not the seed's example: one example run takes about 400 s on a
 * loaded machine (test/e2e/example-schedule.test.ts), three would not fit. Its readout_and_reboot
 * tasks wait for the modules to boot, longer than their catalogue estimate (about 75 s of lab time
 * against set_time = 60 s), as a real station's tasks differ from the catalogue.
 */
const SCHEDULE: Section[] = [
  { name: 'wait_time_0', task: 'wait_time', pause: 60 },
  { name: 'readout_and_reboot_0', task: 'readout_and_reboot', comment: 'before', set_time: 60 },
  { name: 'status_check_0', task: 'status_check', verbose: false },
  { name: 'readout_and_reboot_1', task: 'readout_and_reboot', comment: 'after', set_time: 60 },
];

const BENCH = path.resolve(import.meta.dirname, '../../bench/eta.ts');

describe('the ETA learned from the station’s finished runs', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let master: Background | undefined;
  let ws: Workspace;
  let server: RunningServer;
  let browser: TestBrowser;
  let page: Page;
  // the text of a part of the dashboard, '' while it is not there (yet)
  const text = (testId: string) =>
    page
      .getByTestId(testId)
      .textContent({ timeout: 500 })
      .then((t) => t ?? '')
      .catch(() => '');

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.etaLearned, { timeScale: 10 });
    await setupRun(env.run);
    ws = await openWorkspace(env.dir);
    server = await startServer(ws, '127.0.0.1', 0, { pollMs: 200 });
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 180_000);
  afterAll(async () => {
    if (master && master.child.exitCode === null) master.child.kill('SIGKILL');
    await browser?.close();
    await server?.close();
    await ws?.close();
    await env?.close();
  }, 60_000);

  /** the schedule file for run `n` of this home (its run file from the store) */
  function scheduleFor(n: number): string {
    const [run] = query<{ run_file: string }>(env.dir, 'select run_file from runs where run_number = ?', n);
    return writeSchedule(env.dir, `eta_${n}`, SCHEDULE, run.run_file);
  }

  it('after two finished runs the third’s learned ETA is shown with its basis and beats the catalogue’s', async () => {
    // a fresh station has only the catalogue
    const fresh = await env.run(['schedule', 'check', scheduleFor(1), '--json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect((JSON.parse(fresh.stdout) as { basis: string }).basis).toContain('catalogue estimates');

    for (const n of [1, 2]) {
      if (n > 1) expect((await env.run(['run', 'new', '--comment', `run ${n}`])).code).toBe(0);
      const r = await env.run(['master', scheduleFor(n)]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect((await env.run(['run', 'new', '--comment', 'run 3'])).code).toBe(0);
    const ini = scheduleFor(3);

    // `fat schedule check`: each task's learned estimate and basis, the end and the catalogue's total
    const checked = await env.run(['schedule', 'check', ini, '--json']);
    expect(checked.code, checked.stderr).toBe(0);
    const plan = JSON.parse(checked.stdout) as {
      tasks: Array<{ kind: string; estimateS: number; learnedS: number; basis: string }>;
      basis: string;
      learnedTotalS: number;
      totalS: number;
    };
    expect(plan.tasks.map((t) => t.basis)).toEqual(['median of 2 runs', 'median of 2 runs', 'median of 2 runs', 'median of 2 runs']);
    expect(plan.basis).toBe('median of 2 runs');
    const reboot = plan.tasks[1];
    expect(reboot.learnedS, 'a reboot takes longer than the catalogue says').toBeGreaterThan(reboot.estimateS);
    const listing = await env.run(['schedule', 'check', ini]);
    expect(listing.stdout).toMatch(/\[1\] readout_and_reboot_0 \(readout_and_reboot\)\s+~\d+ min \(median of 2 runs; catalogue ~1 min\)/);
    expect(listing.stdout).toContain("median of 2 runs; the catalogue's fixed estimates say");

    // the dashboard is open before the master starts, and follows it live
    await page.goto(`${server.url}/#/now`);
    await expect.poll(() => text('master'), { timeout: 15_000 }).toContain('master: not running');
    master = spawnFat(env.dir, ['master', ini]);
    // the start message (to Slack and the run log) carries the learned ETA and its basis
    const start = await waitFor(
      'the start message of run 3',
      () =>
        query<{ message: string }>(
          env.dir,
          "select e.message from events e join runs r on r.id = e.run_id where r.run_number = 3 and e.kind = 'run.start'",
        )[0],
      60_000,
    );
    expect(start.message).toMatch(/about [^(]+ \(until [^;]+ UTC; median of 2 runs\)/);
    await waitFor(
      'the first reboot of run 3 to run',
      () =>
        query(
          env.dir,
          "select t.id from tasks t join schedules s on s.id = t.schedule_id join runs r on r.id = s.run_id where r.run_number = 3 and t.idx = 1 and t.state = 'running'",
        )[0],
      60_000,
    );
    // while it runs (two reboots left, about 15 s): `fat status` and the dashboard's schedule card
    const [st] = await Promise.all([
      env.run(['status', '--json']),
      expect
        .poll(() => text('eta-basis'), { timeout: 20_000, interval: 200 })
        .toMatch(/estimates: median of 2 runs \(the catalogue's fixed estimates say \d+ min\)/),
      expect.poll(() => text('progress'), { timeout: 20_000, interval: 200 }).toMatch(/left, ETA \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/),
    ]);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { schedule: { basis: string; remainingS: number; catalogueRemainingS: number } };
    expect(status.schedule.basis).toBe('median of 2 runs');
    expect(status.schedule.remainingS).toBeGreaterThan(status.schedule.catalogueRemainingS);
    const plain = await env.run(['status']);
    expect(plain.stdout).toMatch(/remaining about .+ \(ETA .+ UTC; median of 2 runs; the catalogue says .+\)/);
    const done = await master.done;
    expect(done.code, master.output()).toBe(0);

    // the benchmark replays run 3: at each task start, the learned ETA against the real end
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', BENCH, '--home', env.dir, '--run', '3'], {
      env: { ...process.env, ...TEST_ENV },
      timeout: 60_000,
    });
    const bench = JSON.parse(stdout.trim().split('\n').pop()!) as {
      run: number;
      boundaries: number;
      learnedMeanAbsErrorS: number;
      catalogueMeanAbsErrorS: number;
      atStart: { learnedErrorS: number; catalogueErrorS: number };
      basisAtStart: string;
    };
    expect(bench).toMatchObject({ run: 3, boundaries: 4, basisAtStart: 'median of 2 runs' });
    expect(bench.learnedMeanAbsErrorS, stdout).toBeLessThan(bench.catalogueMeanAbsErrorS);
    expect(Math.abs(bench.atStart.learnedErrorS), stdout).toBeLessThan(Math.abs(bench.atStart.catalogueErrorS));
  }, 400_000);
});

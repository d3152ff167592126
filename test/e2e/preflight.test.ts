import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { openWorkspace } from '../../src/station/workspace.js';
import { newRunForm } from '../../src/views/new-run-form.js';
import { processAlive } from '../../src/fat/domnet-supervisor.js';
import { startServer } from '../../src/web/server.js';
import { launchBrowser } from '../helpers/browser.js';

const base = TEST_PORTS.preflight;
const FIBRE = `${base + 9}/1`;
const QUICK = ['--gain-events', '1000', '--visibility-events', '100', '-j', '4'];

interface Summary {
  ok: boolean;
  resumed: boolean;
  stoppedAt?: { step: string; message: string; advice: string };
  steps: Array<{ step: string; state: string; message: string; data: Record<string, unknown> }>;
  status?: { master: unknown; schedule: { state: string; nextPerson: unknown } | null };
}

/**
 * `fat preflight --yes` on the simulated lab with a broken fibre: it stops at the visibility step
 * naming the PMT, and once the fibre is mended a rerun picks up there (same run) and ends in a
 * running master.
 */
describe('fat preflight, unattended', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let masterPid: number | undefined;
  beforeAll(async () => {
    env = await labWithHome(base, { faults: [{ kind: 'broken-fibre', target: FIBRE }] });
  }, 120_000);
  afterAll(async () => {
    if (masterPid && processAlive(masterPid)) {
      process.kill(masterPid, 'SIGTERM');
      for (let i = 0; i < 600 && processAlive(masterPid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    await env?.close();
  }, 90_000);

  it('stops at visibility naming the PMT, with the seed’s advice; the rerun picks up there and starts the master', async () => {
    const first = await env.run(['preflight', '--yes', '--json', '--comment', 'preflight e2e', ...QUICK]);
    expect(first.code, first.stderr).toBe(1);
    const s1 = JSON.parse(first.stdout) as Summary;
    const port = base + 9;
    const serial = env.lab.truth.modules.find((m) => m.port === port)!.deggSerial;
    expect(s1.ok).toBe(false);
    expect(s1.stoppedAt?.step).toBe('visibility');
    expect(s1.stoppedAt?.message).toContain(`${serial} port ${port} channel 1`);
    expect(s1.stoppedAt?.message).toContain(`Port ${port}, Channel 1 can not see the laser`);
    expect(s1.stoppedAt?.message).not.toContain('channel 0');
    expect(s1.steps.map((x) => [x.step, x.state !== 'fail'])).toEqual([
      ['domnet', true],
      ['run', true],
      ['peripherals', true],
      ['laser-freq', true],
      ['visibility', false],
    ]);
    expect(first.stderr).toContain(
      'What to check: Most commonly, this could indicate that a fibre channel is not effectively transmitting light to a PMT',
    );
    expect(first.stderr).toContain('laser power supply on (confirmed with --yes');
    // the dew point of the freezer air now, against the coldest set point of the standard schedule
    expect(first.stderr).toMatch(/dew point -?\d+\.\d °C, \d+\.\d °C (above|below) the schedule's coldest set point -40 °C/);
    // no master was started
    const st1 = JSON.parse((await env.run(['status', '--json'])).stdout) as Summary['status'];
    expect(st1?.master).toBeNull();

    env.lab.ctx.faults.remove('broken-fibre');
    const second = await env.run(['preflight', '--yes', '--json', ...QUICK]);
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    const s2 = JSON.parse(second.stdout) as Summary;
    expect(s2.resumed).toBe(true);
    expect(second.stderr).toContain('Picking up after step 4');
    // the rerun did not redo the first four steps: no second DomNet start, no second run
    expect(second.stderr).not.toContain('=== 1.');
    expect(second.stderr).toContain('=== 5. Laser visibility');
    expect(s2.steps.map((x) => x.step)).toEqual([
      'domnet',
      'run',
      'peripherals',
      'laser-freq',
      'visibility',
      'gain-scan',
      'gain-analysis',
      'schedule',
      'logbook',
      'master',
    ]);
    expect(s2.steps.every((x) => x.state !== 'fail')).toBe(true);
    const master = s2.steps.find((x) => x.step === 'master')!.data as { how: string; pid: number; log: string };
    expect(master.how).toBe('detached');
    masterPid = master.pid;
    expect(processAlive(master.pid)).toBe(true);
    expect(s2.status?.master).not.toBeNull();
    expect(s2.status?.schedule?.state).toBe('active');
    expect(second.stderr).toContain('--- fat status');
    expect(second.stderr).toMatch(/The master runs\. A person is next needed around .* for \[\d+\] /);

    // while that master runs, another preflight (whose first step restarts DomNet) is refused
    const third = await env.run(['preflight', '--yes', '--comment', 'next batch']);
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/a master \(.*\) is driving station .*: the preflight prepares a new run, so end that one first/);
    expect(processAlive(master.pid)).toBe(true);

    const ws = await openWorkspace(env.dir);
    try {
      expect(await ws.db.selectFrom('preflights').select('state').execute()).toEqual([{ state: 'done' }]);
      expect(await ws.db.selectFrom('runs').select('run_number').execute()).toEqual([{ run_number: 1 }]);
      // the dashboard's Start New Run page: the checklist with each step's result, the failed try replaced
      const form = await newRunForm(ws, '1');
      expect(form.preflight?.state).toBe('done');
      expect(form.preflight?.steps.map((x) => x.state)).toEqual(s2.steps.map((x) => x.state));
      expect(form.preflight?.steps.find((x) => x.step === 'visibility')?.message).toBe('All 32 PMTs see the laser.');
      const entry = await ws.db
        .selectFrom('logbook_entries')
        .select(['text', 'author'])
        .where('kind', '=', 'new-run-form')
        .executeTakeFirstOrThrow();
      expect(entry.text).toContain('**Laser power supply on:** yes');
      expect(entry.text).toContain('schedules/run_00001.ini');

      // the same checklist in the browser
      const server = await startServer(ws, '127.0.0.1', 0);
      const b = await launchBrowser();
      try {
        const p = await b.newPage();
        await p.goto(`${server.url}/#/new-run/1`);
        const rows = p.getByTestId('form-preflight').locator('tbody tr');
        await expect.poll(() => rows.count()).toBe(10);
        expect(await rows.nth(4).textContent()).toContain('All 32 PMTs see the laser.');
        expect(await rows.nth(9).textContent()).toMatch(/OK.*the master is running detached/);
      } finally {
        await b.close();
        await server.close();
      }
    } finally {
      await ws.close();
    }
  }, 600_000);
});

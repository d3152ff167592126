import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { openWorkspace } from '../../src/station/workspace.js';
import { processAlive } from '../../src/fat/domnet-supervisor.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/fat.js');
const SESSION = `icefat-preflight-${process.pid}`;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', SESSION, '-S', '-3000');

/** Waits until the terminal shows `text` (`times` times, in the whole scrollback), or fails with what it shows. */
async function waitFor(text: string | RegExp, timeoutMs = 240_000, times = 1): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.split(text).length > times : text.test(s)) return s;
    if (/PREFLIGHT-EXIT=\d+/.test(s) || Date.now() > until)
      throw new Error(`the terminal never showed ${String(text)}; it shows:\n${s.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A shifter at a terminal: `fat preflight` on a healthy simulated lab, answered key by key through tmux. */
describe('fat preflight at a terminal (tmux)', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let masterPid: number | undefined;
  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.preflightTmux);
  }, 120_000);
  afterAll(async () => {
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // already gone
    }
    if (masterPid && processAlive(masterPid)) {
      process.kill(masterPid, 'SIGTERM');
      for (let i = 0; i < 600 && processAlive(masterPid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    await env?.close();
  }, 90_000);

  it('walks the checklist with the person’s answers and ends with the master running', async () => {
    const cmd = `node ${BIN} --home ${env.dir} preflight --gain-events 1000 --visibility-events 100 -j 4; echo PREFLIGHT-EXIT=$?; sleep 3600`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', '-e', 'FAT_ALLOW_DIRTY=1', '-e', 'FAT_OPERATOR=tmux-shifter', cmd);

    await waitFor('Please provide a short comment about this run');
    tmux('send-keys', '-t', SESSION, '-l', 'batch 7 via tmux');
    tmux('send-keys', '-t', SESSION, 'Enter');
    // a "no" fails the step with the seed's words, and the walk offers to retry it
    await waitFor('Is the laser power supply on?');
    tmux('send-keys', '-t', SESSION, 'n');
    const failed = await waitFor('Retry "Make sure all of the peripherals are working');
    expect(failed).toContain('the laser power supply is not confirmed on');
    expect(failed).toContain('please ensure this power supply is on');
    tmux('send-keys', '-t', SESSION, 'y');
    await waitFor('Is the laser power supply on?', 240_000, 2);
    tmux('send-keys', '-t', SESSION, 'y');
    await waitFor('Post this Start New Run entry to the FAT logbook?', 400_000);
    const form = screen();
    expect(form).toContain('Start New Run: run 1');
    expect(form).toContain('**Laser power supply on:** yes');
    tmux('send-keys', '-t', SESSION, 'Enter');
    await waitFor('Remarks for the entry');
    tmux('send-keys', '-t', SESSION, '-l', 'fibres inspected by hand');
    tmux('send-keys', '-t', SESSION, 'Enter');
    const end = await waitFor(/PREFLIGHT-EXIT=\d+/, 240_000);
    expect(end, end.slice(-3000)).toContain('PREFLIGHT-EXIT=0');
    // in the seed's order, each with its result
    const order = [
      '1. DomNet',
      '2. New run number',
      '3. Make sure all of the peripherals',
      '4. Laser sync',
      '5. Laser visibility',
      '6. Gain scan',
      '7. Analysis of the gain scan',
      '8. The schedule',
      '9. FAT Logbook',
      '10. The master script',
    ];
    const at = order.map((o) => end.indexOf(o));
    expect(
      at.every((i) => i >= 0),
      at.join(','),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(end).toContain('laser power supply on (confirmed at the terminal by tmux-shifter)');
    expect(end).toContain('All 32 PMTs see the laser.');
    expect(end).toMatch(/the master is running detached \(pid \d+\)/);
    expect(end).toMatch(/master: running/);
    expect(end).toMatch(/A person is next needed around/);

    const ws = await openWorkspace(env.dir);
    try {
      // both tries of the peripherals step are on record; the checklist shows the latest
      const tries = await ws.db.selectFrom('preflight_steps').select('state').where('step', '=', 'peripherals').orderBy('id').execute();
      expect(tries.map((t) => t.state)).toEqual(['fail', expect.stringMatching(/^(pass|warn)$/)]);
      const run = await ws.db.selectFrom('runs').selectAll().executeTakeFirstOrThrow();
      expect(run.comment).toBe('batch 7 via tmux');
      const entry = await ws.db.selectFrom('logbook_entries').selectAll().where('kind', '=', 'new-run-form').executeTakeFirstOrThrow();
      expect(entry.author).toBe('tmux-shifter');
      expect(entry.text).toContain('fibres inspected by hand');
      const step = await ws.db.selectFrom('preflight_steps').select('data').where('step', '=', 'master').executeTakeFirstOrThrow();
      masterPid = (JSON.parse(step.data) as { pid: number }).pid;
      expect(processAlive(masterPid)).toBe(true);
      const lease = await ws.db.selectFrom('leases').selectAll().executeTakeFirstOrThrow();
      expect(lease.pid).toBe(masterPid);
    } finally {
      await ws.close();
    }
  }, 900_000);
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import {
  entryCounts,
  masterStates,
  openPrompt,
  query,
  runJson,
  spawnFat,
  waitFor,
  writeSchedule,
  type Background,
} from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Operator actions against a real `fat master` on the simulated lab, from a second terminal:
 * `fat pause` holds the master at the next task boundary (and `fat status` says who paused, why,
 * and how to resume), `fat exclude` takes a module out so later tasks skip it, `fat resume` goes
 * on, `fat abort` stops the running task at its next safe point with the lab in its safe state and
 * who aborted recorded, and `--recover` finishes the run.
 */
describe('fat pause, resume, exclude and abort on a running master', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const carol = { FAT_OPERATOR: 'carol' };
  const masters: Background[] = [];
  const eventId = (where: string) => query<{ id: number }>(env.dir, `select min(id) id from events where ${where}`)[0]?.id ?? 0;
  const taskState = (idx: number) => query<{ state: string }>(env.dir, 'select state from tasks where idx = ?', idx)[0]?.state;
  const requests = () => query<{ n: number }>(env.dir, 'select count(*) n from operator_requests')[0].n;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.operatorActions, { timeScale: 100 });
    // `fat setup` starts 4 DomNet processes: on a loaded machine that can take longer than a minute
    allowSlowDomnet(env.dir, 140);
    const setup = await fat(env.dir, ['setup'], {}, 170_000);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', 'operator actions']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
  }, 200_000);
  afterEach(() => {
    for (const m of masters.splice(0)) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  });
  afterAll(async () => env?.close(), 30_000);

  it('without a master, pause/resume/abort say so, exit non-zero and change nothing', async () => {
    for (const args of [['pause', '--reason', 'door open'], ['resume'], ['abort', '--reason', 'power cut']]) {
      const r = await env.run(args, carol);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain('no master is running on station');
      expect(r.stderr).toContain('nothing was changed');
    }
    expect(requests()).toBe(0);
  }, 120_000);

  it('pause holds at the next boundary, exclude is skipped by later tasks, resume goes on, abort stops recoverably', async () => {
    // the prompts make the moments of the test independent of how loaded the machine is: the
    // master waits at [1] and [3] until the test has done what it wants
    const ini = writeSchedule(env.dir, 'operator', [
      { name: 'wait_time_0', task: 'wait_time', pause: 2 },
      { name: 'manual_input_0', task: 'manual_input', message: 'Close the freezer door' },
      { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'after the pause' },
      { name: 'manual_input_1', task: 'manual_input', message: 'Check the fibres' },
      { name: 'readout_and_readout_1', task: 'readout_and_readout', comment: 'after the abort' },
    ]);
    const mods = query<{ port: number; degg_serial: string }>(env.dir, 'select port, degg_serial from modules order by port');
    const serials = mods.map((m) => m.degg_serial);
    const out = mods[3];
    const master = spawnFat(env.dir, ['master', ini]);
    masters.push(master);

    // ---- pause while [1] runs: pending until the boundary, then the master holds before [2] ----
    await waitFor('the prompt of [1]', () => openPrompt(env.dir)?.message === 'Close the freezer door', 90_000);
    const paused = await env.run(['pause', '--reason', 'freezer door open'], carol);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('carol (from the command line) paused run 1: freezer door open');
    const pending = await env.run(['status']);
    expect(pending.stdout).toContain('PAUSE requested by carol: freezer door open: the master holds at the next task boundary');
    const yes = await env.run(['answer', 'yes'], carol);
    expect(yes.code, yes.stderr).toBe(0);
    await waitFor('the master to hold', () => query(env.dir, "select 1 from events where kind = 'run.paused'")[0], 30_000);
    expect(taskState(1)).toBe('done');
    expect(taskState(2)).toBe('pending');
    const st = await env.run(['status']);
    expect(st.stdout).toMatch(/master: running/);
    expect(st.stdout).toContain('PAUSED by carol: freezer door open');
    expect(st.stdout).toContain('to resume: `fat resume`');
    expect(master.output()).toContain('Run 1 paused at the task boundary by carol: freezer door open');

    // ---- exclude a module by its port while paused ----
    const ex = await env.run(['exclude', String(out.port), '--reason', 'cable damaged', '--by', 'dave']);
    expect(ex.code, ex.stderr).toBe(0);
    await waitFor(
      'the exclusion',
      () => query(env.dir, "select 1 from modules where port = ? and state = 'excluded'", out.port)[0],
      10_000,
    );
    expect(query(env.dir, 'select state_reason from modules where port = ?', out.port)).toEqual([
      { state_reason: 'excluded by dave (cli): cable damaged' },
    ]);
    expect(taskState(2)).toBe('pending');

    // ---- resume: [2] runs without the excluded module ----
    const resumed = await env.run(['resume'], carol);
    expect(resumed.code, resumed.stderr).toBe(0);
    await waitFor('the prompt of [3]', () => openPrompt(env.dir)?.message === 'Check the fibres', 90_000);
    expect(taskState(2)).toBe('done');
    // the hold really held: [2] started only after the resume (events are numbered in order)
    expect(eventId("kind = 'task.start' and data like '%\"idx\":2%'")).toBeGreaterThan(eventId("kind = 'run.resumed'"));
    const afterFirst = entryCounts(env.dir, 'ReadoutOnly', serials);
    expect(afterFirst[out.degg_serial]).toBe(0);
    expect(Object.values(afterFirst).filter((n) => n === 1)).toHaveLength(15);

    // ---- abort while [3] runs: it stops at once, the lab is made safe, the run stays recoverable ----
    env.lab.ctx.lab.setGeneratorOutput(true);
    const aborted = await env.run(['abort', '--reason', 'power cut announced'], carol);
    expect(aborted.code, aborted.stderr).toBe(0);
    const r = await master.done;
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(0);
    expect(text).toContain('Run 1 aborted by carol: power cut announced');
    expect(text).toContain('--recover');
    expect(text).toContain('Lab left in its safe state: laser off');
    expect(env.lab.ctx.lab.laserFiring).toBe(false);
    expect(runJson(env.dir).RunTerminated).toBe('aborted by carol: power cut announced');
    expect(query<{ state: string }>(env.dir, 'select state from tasks order by idx').map((t) => t.state)).toEqual([
      'done',
      'done',
      'done',
      'pending',
      'pending',
    ]);
    expect(query(env.dir, 'select a.outcome from task_attempts a join tasks t on t.id = a.task_id where t.idx = 3')).toEqual([
      { outcome: 'interrupted' },
    ]);
    const abortRow = query<{ requested_by: string; reason: string; outcome: string }>(
      env.dir,
      "select requested_by, reason, outcome from operator_requests where action = 'abort'",
    );
    expect(abortRow).toHaveLength(1);
    expect(abortRow[0]).toMatchObject({ requested_by: 'carol', reason: 'power cut announced' });
    expect(abortRow[0].outcome).toMatch(/^aborted; safe state: laser off, HV /);
    const kinds = query<{ kind: string }>(env.dir, 'select kind from events order by id').map((e) => e.kind);
    for (const k of [
      'operator.pause',
      'run.paused',
      'operator.exclude',
      'module.excluded',
      'operator.resume',
      'run.resumed',
      'operator.abort',
      'run.aborted',
      'run.safe-state',
    ])
      expect(kinds, k).toContain(k);
    expect(query(env.dir, 'select end_reason from schedules')).toEqual([{ end_reason: 'aborted by carol: power cut announced' }]);

    // ---- --recover finishes the run; the excluded module stays out ----
    const rec = spawnFat(env.dir, ['master', ini, '--recover']);
    masters.push(rec);
    await waitFor('the prompt of [3] again', () => openPrompt(env.dir)?.message === 'Check the fibres', 90_000);
    expect((await env.run(['answer', 'yes'], carol)).code).toBe(0);
    const done = await rec.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toContain('Schedule Completed');
    expect(Object.values(masterStates(env.dir))).toEqual([1, 1, 1, 1, 1]);
    const atEnd = entryCounts(env.dir, 'ReadoutOnly', serials);
    expect(atEnd[out.degg_serial]).toBe(0);
    expect(Object.values(atEnd).filter((n) => n === 2)).toHaveLength(15);
    expect(query(env.dir, 'select count(*) n from operator_requests where handled_at is null')).toEqual([{ n: 0 }]);
  }, 300_000);
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import {
  masterStates,
  openPrompt,
  query,
  runJson,
  spawnFat,
  type Background,
  waitFor,
  writeSchedule,
  type Section,
} from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Durable prompts: the master waits at a manual input; a second terminal answers with `fat answer`;
 * a "no" stops the run cleanly; the question survives a `kill -9` of the master.
 */
describe('fat master prompts and fat answer', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const operator = { FAT_OPERATOR: 'alice' };
  const schedule = (message: string): Section[] => [
    { name: 'wait_time_0', task: 'wait_time', pause: 2 },
    { name: 'manual_input_0', task: 'manual_input', message },
    { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'after the prompt' },
    { name: 'wait_time_1', task: 'wait_time', pause: 2 },
  ];
  const runFile = (n: number) => `${env.dir}/json/run/run_${String(n).padStart(5, '0')}.json`;
  const newRun = async (n: number) => {
    const r = await env.run(['run', 'new', '--comment', `prompt run ${n}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`New Run Number is: ${n}`);
  };

  const masters: Background[] = [];
  const start = (args: string[]) => {
    const b = spawnFat(env.dir, args);
    masters.push(b);
    return b;
  };

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterPrompts, { timeScale: 50 });
    const setup = await env.run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
  }, 90_000);
  // a failed test must not leave a master holding the station for the next one
  afterEach(() => {
    for (const m of masters.splice(0)) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  });
  afterAll(async () => env?.close(), 30_000);

  it('fat answer with no prompt open says so, exits non-zero and changes nothing', async () => {
    await newRun(1);
    const before = query(env.dir, 'select (select count(*) from prompts) p, (select count(*) from events) e');
    const r = await env.run(['answer', 'yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no prompt is open');
    expect(r.stderr).toContain('nothing was answered');
    expect(query(env.dir, 'select (select count(*) from prompts) p, (select count(*) from events) e')).toEqual(before);
  }, 60_000);

  it('the master waits at a manual input until fat answer yes from a second terminal', async () => {
    const ini = writeSchedule(env.dir, 'prompt1', schedule('Is the freezer door closed?'), runFile(1));
    const master = start(['master', ini]);
    const prompt = await waitFor('the manual input prompt', () => openPrompt(env.dir), 60_000);
    expect(prompt.message).toBe('Is the freezer door closed?');

    // the next task has not started, fat status shows the prompt
    expect(
      query(
        env.dir,
        'select t.state from tasks t join schedules s on s.id = t.schedule_id where s.run_id = (select id from runs where run_number = 1) and t.idx = 2',
      ),
    ).toEqual([{ state: 'pending' }]);
    const st = await env.run(['status']);
    expect(st.stdout).toContain('OPEN PROMPT: Is the freezer door closed?');
    expect(st.stdout).toMatch(/master: running/);
    expect(master.output()).toContain('DAQ is waiting for manual input: Is the freezer door closed?');

    const a = await env.run(['answer', 'yes'], operator);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('Answered yes to: Is the freezer door closed?');

    const done = await master.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toContain('Manual input received from alice (cli)');
    // it really waited: [2] started only after the answer (events are numbered in order)
    const firstId = (where: string) => query<{ id: number }>(env.dir, `select min(id) id from events where ${where}`)[0]?.id ?? 0;
    expect(firstId("kind = 'task.start' and data like '%\"idx\":2%'")).toBeGreaterThan(firstId("kind = 'prompt.answered'"));
    expect(done.stdout + done.stderr).toContain('Schedule Completed');
    expect(query(env.dir, 'select answer, answered_by, via from prompts where id = ?', prompt.id)).toEqual([
      { answer: 'yes', answered_by: 'alice', via: 'cli' },
    ]);
    const doc = runJson(env.dir, 1);
    expect(doc.ManualInputTime0).toMatch(/^\d{4}-\d\d-\d\d /);
    expect(Object.values(masterStates(env.dir, 'MasterFAT_00', 1))).toEqual([1, 1, 1, 1]);
  }, 90_000);

  it('fat answer no --reason stops the run cleanly; --recover asks again', async () => {
    await newRun(2);
    const ini = writeSchedule(env.dir, 'prompt2', schedule('Ready to cool down?'), runFile(2));
    const master = start(['master', ini]);
    const prompt = await waitFor('the manual input prompt', () => openPrompt(env.dir), 60_000);
    const a = await env.run(['answer', 'no', '--reason', 'freezer door open'], operator);
    expect(a.code, a.stderr).toBe(0);
    const done = await master.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toContain('Reason given: freezer door open');

    const doc = runJson(env.dir, 2);
    expect(doc.RunTerminated).toBe('freezer door open');
    expect(masterStates(env.dir, 'MasterFAT_00', 2)).toEqual({
      '[0] wait_time_0': 1,
      '[1] manual_input_0': 0,
      '[2] readout_and_readout_0': -1,
      '[3] wait_time_1': -1,
    });
    const tasks = () =>
      query<{ idx: number; state: string; attempts: number }>(
        env.dir,
        'select t.idx, t.state, t.attempts from tasks t join schedules s on s.id = t.schedule_id where s.run_id = (select id from runs where run_number = 2) order by t.idx',
      );
    expect(tasks().map((t) => [t.idx, t.state, t.attempts])).toEqual([
      [0, 'done', 1],
      [1, 'failed', 1],
      [2, 'pending', 0],
      [3, 'pending', 0],
    ]);
    const st = await env.run(['status']);
    expect(st.stdout).toContain('master: not running');
    expect(st.stdout).toContain('stopped: freezer door open');
    expect(st.stdout).not.toContain('OPEN PROMPT');

    // --recover asks the question again (the "no" is not reused), and a "yes" finishes the run
    const again = start(['master', ini, '--recover']);
    const second = await waitFor(
      'a new prompt',
      () => {
        const p = openPrompt(env.dir);
        return p && p.id !== prompt.id ? p : undefined;
      },
      60_000,
    );
    expect(second.message).toBe('Ready to cool down?');
    expect((await env.run(['answer', 'yes'], operator)).code).toBe(0);
    const recovered = await again.done;
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout + recovered.stderr).toContain('Schedule Completed');
    expect(tasks().map((t) => [t.idx, t.state, t.attempts])).toEqual([
      [0, 'done', 1],
      [1, 'done', 2],
      [2, 'done', 1],
      [3, 'done', 1],
    ]);
    expect(Object.values(masterStates(env.dir, 'MasterFAT_00', 2))).toEqual([1, 1, 1, 1]);
  }, 120_000);

  it('a prompt left open by a killed master is answered while no master runs, and --recover does not ask again', async () => {
    await newRun(3);
    const ini = writeSchedule(env.dir, 'prompt3', schedule('Filter wheels checked?'), runFile(3));
    const master = start(['master', ini]);
    const prompt = await waitFor('the manual input prompt', () => openPrompt(env.dir), 60_000);
    master.child.kill('SIGKILL');
    await master.done;

    const st = await env.run(['status']);
    expect(st.stdout).toContain('DEAD (crashed?)');
    expect(st.stdout).toContain('OPEN PROMPT: Filter wheels checked?');
    const a = await env.run(['answer', 'yes'], operator);
    expect(a.code, a.stderr).toBe(0);

    const before = query<{ n: number }>(env.dir, 'select count(*) n from prompts')[0].n;
    const recovered = await start(['master', ini, '--recover']).done;
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout + recovered.stderr).toContain('Schedule Completed');
    expect(recovered.stdout + recovered.stderr).not.toContain('DAQ is waiting for manual input');
    expect(query<{ n: number }>(env.dir, 'select count(*) n from prompts')[0].n).toBe(before);
    expect(query(env.dir, 'select answer, answered_by, via from prompts where id = ?', prompt.id)).toEqual([
      { answer: 'yes', answered_by: 'alice', via: 'cli' },
    ]);
    expect(Object.values(masterStates(env.dir, 'MasterFAT_00', 3))).toEqual([1, 1, 1, 1]);
  }, 120_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import {
  entryCounts,
  masterStates,
  openPrompt,
  query,
  runJson,
  setupRun,
  spawnFat,
  waitFor,
  writeSchedule,
  type Background,
  type Section,
} from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * What `fat master` refuses, and why, without touching anything: a schedule with mistakes, a fresh
 * start on a run that already has progress, a second master; and `--from N`.
 */
describe('fat master refusals and --from', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const masters: Background[] = [];
  const SCHEDULE: Section[] = [
    { name: 'wait_time_0', task: 'wait_time', pause: 2 },
    { name: 'manual_input_0', task: 'manual_input', message: 'Freezer closed?' },
    { name: 'readout_and_readout_0', task: 'readout_and_readout', comment: 'not before the prompt' },
    { name: 'wait_time_1', task: 'wait_time', pause: 2 },
    { name: 'readout_and_readout_1', task: 'readout_and_readout', comment: 'from 3 on' },
  ];
  /** everything a refused master must leave alone */
  const snapshot = () => ({
    schedules: query(env.dir, 'select * from schedules order by id'),
    tasks: query(env.dir, 'select * from tasks order by id'),
    attempts: query(env.dir, 'select * from task_attempts order by id'),
    prompts: query(env.dir, 'select * from prompts order by id'),
    runFile: fs.readFileSync(path.join(env.dir, 'json/run/run_00001.json'), 'utf8'),
  });

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterRefusals, { timeScale: 50 });
    await setupRun(env.run);
  }, 90_000);
  afterEach(() => {
    for (const m of masters.splice(0)) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  });
  afterAll(async () => env?.close(), 30_000);

  it('a schedule with an unknown task, a bad value or a missing run file exits 2 naming section, key and line; nothing runs', async () => {
    const cases: Array<{ name: string; text: string; expect: RegExp }> = [
      {
        name: 'unknown',
        text: `[constants]\nrun_file = ${env.dir}/json/run/run_00001.json\n\n[wait_time_0]\ntask = wait_time\npause = 1\n\n[warp_0]\ntask = warp_drive\n`,
        expect: /unknown\.ini line 9, \[warp_0\] task: .*warp_drive/,
      },
      {
        name: 'badvalue',
        text: `[constants]\nrun_file = ${env.dir}/json/run/run_00001.json\n\n[wait_time_0]\ntask = wait_time\npause = soon\n`,
        expect: /badvalue\.ini line 6, \[wait_time_0\] pause: /,
      },
      {
        name: 'norunfile',
        text: `[constants]\nrun_file = ${env.dir}/json/run/run_00099.json\n\n[wait_time_0]\ntask = wait_time\npause = 1\n`,
        expect: /norunfile\.ini line 2, \[constants\] run_file: .*run_00099\.json does not exist/,
      },
    ];
    for (const c of cases) {
      const file = path.join(env.dir, `${c.name}.ini`);
      fs.writeFileSync(file, c.text);
      const r = await env.run(['master', file]);
      expect(r.code, `${c.name}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr, c.name).toMatch(c.expect);
      expect(r.stderr, c.name).toContain('nothing was run');
    }
    expect(query(env.dir, 'select count(*) n from schedules')).toEqual([{ n: 0 }]);
    expect(query(env.dir, 'select count(*) n from tasks')).toEqual([{ n: 0 }]);
    expect(runJson(env.dir).MasterFAT_00).toBeUndefined();
    expect(query(env.dir, 'select count(*) n from leases')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('a second master while one runs is refused; a fresh master on a run with progress says to use --recover', async () => {
    const ini = writeSchedule(env.dir, 'refusals', SCHEDULE);
    const first = spawnFat(env.dir, ['master', ini]);
    masters.push(first);
    await waitFor('the first master to wait at its prompt', () => openPrompt(env.dir), 60_000);

    let before = snapshot();
    for (const args of [
      ['master', ini, '--recover'],
      ['master', ini],
    ]) {
      const second = await env.run(args);
      expect(second.code, second.stdout + second.stderr).not.toBe(0);
      expect(second.stderr).toContain('only one may');
      expect(snapshot()).toEqual(before);
    }
    expect(first.child.exitCode).toBeNull();

    first.child.kill('SIGKILL');
    await first.done;
    before = snapshot();
    const fresh = await env.run(['master', ini]);
    expect(fresh.code, fresh.stdout + fresh.stderr).not.toBe(0);
    expect(fresh.stderr).toContain('already has progress');
    expect(fresh.stderr).toContain(`fat master ${ini} --recover`);
    expect(snapshot()).toEqual(before);
  }, 90_000);

  it('--from 3 restarts at task 3: earlier tasks are not run again and their prompt is closed', async () => {
    const ini = path.join(env.dir, 'refusals.ini');
    const promptsBefore = query<{ n: number }>(env.dir, 'select count(*) n from prompts')[0].n;
    const r = await env.run(['master', ini, '--from', '3']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Schedule Completed');
    expect(r.stdout + r.stderr).not.toContain('DAQ is waiting for manual input');
    expect(query<{ n: number }>(env.dir, 'select count(*) n from prompts')[0].n).toBe(promptsBefore);

    // a new MasterFAT entry: tasks before 3 marked as not to run (1), 3 and 4 done
    expect(masterStates(env.dir, 'MasterFAT_01')).toEqual({
      '[0] wait_time_0': 1,
      '[1] manual_input_0': 1,
      '[2] readout_and_readout_0': 1,
      '[3] wait_time_1': 1,
      '[4] readout_and_readout_1': 1,
    });
    const latest = query<{ id: number }>(env.dir, 'select id from schedules order by id desc limit 1')[0].id;
    expect(query(env.dir, 'select idx, state, attempts from tasks where schedule_id = ? order by idx', latest)).toEqual([
      { idx: 0, state: 'skipped', attempts: 0 },
      { idx: 1, state: 'skipped', attempts: 0 },
      { idx: 2, state: 'skipped', attempts: 0 },
      { idx: 3, state: 'done', attempts: 1 },
      { idx: 4, state: 'done', attempts: 1 },
    ]);
    // readout_and_readout_0 never ran: one ReadoutOnly entry per D-Egg, from task 4
    const serials = env.lab.truth.modules.map((m) => m.deggSerial);
    expect(Object.values(entryCounts(env.dir, 'ReadoutOnly', serials))).toEqual(serials.map(() => 1));
    expect(readoutComment(env.dir, serials[0])).toBe('from 3 on');

    // the prompt of the killed master's schedule is not left open for anyone to answer
    const st = await env.run(['status']);
    expect(st.stdout).not.toContain('OPEN PROMPT');
    const a = await env.run(['answer', 'yes']);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('no prompt is open');
  }, 90_000);
});

function readoutComment(home: string, serial: string): unknown {
  const doc = JSON.parse(fs.readFileSync(runJson(home)[serial] as string, 'utf8')) as Record<string, { Comment?: string }>;
  return doc.ReadoutOnly_00?.Comment;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../../src/tasks/catalogue.js';
import {
  checkSchedule,
  estimateSchedule,
  formatDurationS,
  formatProblem,
  parseSchedule,
  ScheduleError,
  type ScheduleProblem,
} from '../../src/fat/schedule/parse.js';
import { scheduleTemplate } from '../../src/fat/schedule/templates.js';
import { iniBool } from '../../src/tasks/values.js';
import { fat } from '../helpers/fat-cli.js';

const cat = catalogue();
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/schedules');
let dir = '';
let runFile = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-schedule-'));
  runFile = path.join(dir, 'run_00007.json');
  fs.writeFileSync(runFile, '{}');
});

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const header = () => `[constants]\nrun_file = ${runFile}\nverbose = True\n`;

function expectValid(problems: ScheduleProblem[]) {
  expect(problems.map(formatProblem)).toEqual([]);
}

describe('values', () => {
  it('parses INI booleans properly: "False" is false', () => {
    const b = iniBool();
    for (const v of ['True', 'true', '1', 'yes', 'ON', true]) expect(b.parse(v)).toBe(true);
    for (const v of ['False', 'false', '0', 'no', 'off', false]) expect(b.parse(v)).toBe(false);
    expect(b.safeParse('maybe').error?.issues[0].message).toBe('expected True or False, got "maybe"');
  });

  it('reads verbose = False as false, and run_backup for its own section only', () => {
    const f = write(
      'backup.ini',
      header().replace('verbose = True', 'verbose = False') +
        '[a]\ntask = wait_time\npause = 5\nrun_backup = True\n\n[b]\ntask = wait_time\n\n[c]\ntask = wait_time\nrun_backup = False\n\n[d]\ntask = wait_time\n',
    );
    const s = parseSchedule(f, cat);
    expect(s.constants.verbose).toBe(false);
    expect(s.tasks.map((t) => [t.section, t.runBackup])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
      ['d', false],
    ]);
    expect(s.tasks[0].params).toEqual({ pause: 5 });
    expect(s.tasks[1].params).toEqual({ pause: 10 });
    expect(s.format).toBe('icefat');
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('templates', () => {
  it('example: the seed schedule, valid', () => {
    const f = write('example.ini', scheduleTemplate('example', runFile));
    const r = checkSchedule(f, cat);
    expect(r.schedule.tasks.map((t) => t.kind)).toEqual([
      'wait_time',
      'readout_and_reboot',
      'measure_stf',
      'measure_gain',
      'measure_gain',
      'measure_scaler',
      'measure_linearity',
      'measure_pulsed_waveform',
      'measure_baseline_flasher',
      'readout_and_reboot',
      'manual_input',
    ]);
    expect(r.schedule.tasks.map((t) => t.section).slice(0, 5)).toEqual([
      'wait_time_0',
      'readout_and_reboot_0',
      'measure_stf_0',
      'measure_gain_0',
      'measure_gain_1',
    ]);
    expect(r.schedule.constants.runFile).toBe(runFile);
    expectValid(r.problems);
    expect(parseSchedule(f, cat).tasks).toHaveLength(11);
  });

  it('standard: the phases of the original FAT with set points, manual inputs and backups', () => {
    const f = write('standard.ini', scheduleTemplate('standard', runFile));
    const r = checkSchedule(f, cat);
    const tasks = r.schedule.tasks;
    expectValid(r.problems);
    const freezer = tasks.filter((t) => t.kind === 'set_freezer').map((t) => [t.params.fcurrent, t.params.fdelta]);
    expect(freezer).toEqual([
      [20, -60],
      [-40, 20],
      [-20, 40],
      [20, -60],
      [-40, 60],
    ]);
    expect(tasks.filter((t) => t.kind === 'manual_input').map((t) => t.params.message)).toEqual([
      'Are the gain and STF OK? If so, continue',
      'Pausing DAQ for room temperature repairs!',
      'Run is Finished, install dehumidifiers!',
    ]);
    expect(tasks.at(-1)!.kind).toBe('manual_input');
    expect(tasks.filter((t) => t.kind === 'bootmon' && t.params.mode === 'coldboot').map((t) => t.section)).toEqual(['bootmon_0_coldboot']);
    // the 54 constant-monitoring runs of the second -40 °C phase
    const kinds = tasks.map((t) => t.kind).join(' ');
    expect(kinds).toContain(Array(54).fill('constant_monitor').join(' '));
    expect(tasks.filter((t) => t.kind === 'slowmon')).toHaveLength(20 + 16 + 18 + 26);
    // backups never after the large-data measurements
    const large = new Set([
      'measure_gain',
      'measure_scaler',
      'slowmon',
      'constant_monitor',
      'measure_linearity',
      'measure_pulsed_waveform',
    ]);
    expect(tasks.filter((t) => t.runBackup && large.has(t.kind))).toEqual([]);
    expect(tasks.filter((t) => t.runBackup).length).toBeGreaterThan(10);
    expect(new Set(tasks.map((t) => t.section)).size).toBe(tasks.length);
    // one to two weeks of lab time
    const est = estimateSchedule(r.schedule, cat, 16);
    expect(est.totalS / 86400).toBeGreaterThan(7);
    expect(est.totalS / 86400).toBeLessThan(14);
  });
});

describe('the original create_fat_config.py format', () => {
  const original = () =>
    write(
      'original.ini',
      fs.readFileSync(path.join(FIXTURES, 'original_standard.ini'), 'utf8').replace(/^run_file = .*$/m, `run_file = ${runFile}`),
    );

  it('maps every task of the original standard FAT to the catalogue, with positional arguments in order', () => {
    const r = checkSchedule(original(), cat);
    expect(r.schedule.format).toBe('original');
    expectValid(r.problems);
    const s = r.schedule.tasks;
    expect(s[0]).toMatchObject({ section: 'disable_laser_0', kind: 'disable_laser', params: {} });
    expect(s[1]).toMatchObject({ section: 'status_check_0', kind: 'status_check', params: { verbose: true, reboot: false } });
    const freezer = s.find((t) => t.section === 'dummy_wrapper_0')!;
    expect(freezer.kind).toBe('set_freezer');
    expect(freezer.params).toMatchObject({ fcurrent: 20, fdelta: -60 });
    const mon = s.find((t) => t.section === 'constant_monitor_1')!;
    expect(mon.params).toMatchObject({ max_i: 1, n_jobs: 4, use_fir: false, verbose: true, ignore_warn: false });
    // the same FAT as icefat's standard template, task for task
    const mine = checkSchedule(write('standard2.ini', scheduleTemplate('standard', runFile)), cat).schedule.tasks;
    expect(s.map((t) => [t.kind, t.params])).toEqual(mine.map((t) => [t.kind, t.params]));
    expect(s.filter((t) => t.runBackup)).toEqual([]);
  });

  it('fails on a missing run file, naming section, key and line, and returns no tasks', () => {
    const f = path.join(FIXTURES, 'original_standard.ini');
    const r = checkSchedule(f, cat);
    const p = r.problems.find((x) => x.code === 'constants')!;
    expect(formatProblem(p)).toBe(
      `${f} line 2, [constants] run_file: /home/icehap-daq/data/json/run/run_00123.json does not exist (create the run with \`fat run new\`)`,
    );
    expect(() => parseSchedule(f, cat)).toThrow(/line 2, \[constants\] run_file: .* does not exist/);
  });

  it('rejects extra arguments, task and fragment together, or neither', () => {
    const f = write(
      'orig-bad.ini',
      header() +
        '[status_check_0]\npackage = degg_measurements.daq_scripts.fat_master\ntask = status_check\nverbose = True\nreboot = False\nextra = 1\n\n' +
        '[x_0]\npackage = p\ntask = wait_time\nfragment = monitoring_session\n\n[y_0]\npackage = p\npause = 3\n',
    );
    const r = checkSchedule(f, cat);
    expect(r.problems.map(formatProblem)).toEqual([
      `${f} line 9, [status_check_0] extra: status_check takes verbose, reboot after run_file; this is argument 3`,
      `${f} line 14, [x_0] fragment: has both \`task\` and \`fragment\`; a section is one or the other`,
      `${f} line 16, [y_0]: names no task: add \`task = NAME\``,
    ]);
    expect(() => parseSchedule(f, cat)).toThrow(ScheduleError);
  });

  it('expands the monitoring_session fragment, and names an unknown fragment', () => {
    const f = write(
      'frag.ini',
      header() +
        '[monitoring_session_0]\npackage = degg_measurements.daq_scripts.fat_master\nfragment = monitoring_session\ncomment = overnight\nset_time = 1800\nn_cycles = 2\n',
    );
    const s = parseSchedule(f, cat);
    expect(s.tasks.map((t) => [t.section, t.kind, t.params])).toEqual([
      ['monitoring_session_0.0', 'readout_and_readout', { comment: 'overnight', set_time: 1800 }],
      ['monitoring_session_0.1', 'readout_and_reboot', { comment: 'overnight', set_time: 1800 }],
      ['monitoring_session_0.2', 'readout_and_readout', { comment: 'overnight', set_time: 1800 }],
      ['monitoring_session_0.3', 'readout_and_reboot', { comment: 'overnight', set_time: 1800 }],
    ]);
    const g = write('frag-bad.ini', header() + '[m_0]\npackage = p\nfragment = some_session\n');
    expect(() => parseSchedule(g, cat)).toThrow(
      `${g} line 6, [m_0] fragment: unknown fragment "some_session" (icefat knows: monitoring_session)`,
    );
  });
});

describe('errors name file, section, key and line, all of them at once', () => {
  it('unknown task, bad values, unknown parameter and missing parameter', () => {
    const f = write(
      'fat_config.ini',
      header() +
        '[wait_time_0]\ntask = wait_time\npause = soon\n\n' +
        '[measure_gian_0]\ntask = measure_gian\n\n' +
        '[measure_gain_0]\ntask = measure_gain\ncomment = cold\nn_jobs = four\n\n' +
        '[status_check_0]\ntask = status_check\nverbose = maybe\nrebot = true\n\n' +
        '[online_mon_0]\ntask = online_mon\n',
    );
    const r = checkSchedule(f, cat);
    const text = r.problems.map(formatProblem);
    expect(text).toEqual([
      `${f} line 6, [wait_time_0] pause: expected a number, got "soon"`,
      `${f} line 9, [measure_gian_0] task: unknown task "measure_gian"; did you mean measure_gain, measure_hv, measure_spe?`,
      `${f} line 14, [measure_gain_0] n_jobs: expected a whole number, got "four"`,
      `${f} line 18, [status_check_0] verbose: expected True or False, got "maybe"`,
      `${f} line 19, [status_check_0] rebot: status_check has no parameter "rebot" (its parameters: verbose, reboot)`,
      `${f} line 21, [online_mon_0] hv_status: missing, online_mon needs it`,
    ]);
    expect(r.schedule.tasks.map((t) => t.section)).toEqual([]);
    expect(() => parseSchedule(f, cat)).toThrow(ScheduleError);
  });

  it('start_at must name a task', () => {
    const ok = write('start.ini', header() + 'start_at = 1\n[a]\ntask = wait_time\n[b]\ntask = wait_time\n');
    expect(parseSchedule(ok, cat).constants.startAt).toBe(1);
    const bad = write('start-bad.ini', header() + 'start_at = 2\n[a]\ntask = wait_time\n[b]\ntask = wait_time\n');
    expect(() => parseSchedule(bad, cat)).toThrow(`${bad} line 4, [constants] start_at: there are tasks 0..1, got 2`);
  });

  it('formats durations for people', () => {
    expect(formatDurationS(40)).toBe('40 s');
    expect(formatDurationS(12 * 60)).toBe('12 min');
    expect(formatDurationS(2 * 3600 + 5 * 60)).toBe('2 h 5 min');
    expect(formatDurationS(5 * 86400 + 3 * 3600 + 100)).toBe('5 d 3 h');
  });
});

describe('fat schedule (the binary)', () => {
  it('creates the example schedule for a run file and checks it', async () => {
    const home = path.join(dir, 'home');
    const cfg = path.join(dir, 'cli', 'fat_config.ini');
    const created = await fat(home, ['schedule', 'create', runFile, cfg, '--template', 'example']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(fs.readFileSync(cfg, 'utf8')).toContain(`run_file = ${runFile}`);
    const again = await fat(home, ['schedule', 'create', runFile, cfg]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists; use --force');

    const checked = await fat(home, ['schedule', 'check', cfg, '--json']);
    const out = JSON.parse(checked.stdout) as { ok: boolean; tasks: Array<{ kind: string }>; problems: ScheduleProblem[] };
    expect(out.tasks).toHaveLength(11);
    expect(out.problems).toEqual([]);
    expect(out.ok).toBe(true);
    expect(checked.code).toBe(0);
  });

  it('a bad schedule fails with the line and runs nothing', async () => {
    const f = write('cli-bad.ini', header() + '[a]\ntask = wait_tme\n');
    const r = await fat(path.join(dir, 'home'), ['schedule', 'check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${f} line 5, [a] task: unknown task "wait_tme"; did you mean wait_time?`);
  });
});

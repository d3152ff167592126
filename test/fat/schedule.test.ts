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
  groupWarnings,
  parseSchedule,
  ScheduleError,
  type Schedule,
  type ScheduleProblem,
} from '../../src/fat/schedule/parse.js';
import { scheduleTemplate } from '../../src/fat/schedule/templates.js';
import { iniBool } from '../../src/tasks/values.js';
import { fat } from '../helpers/fat-cli.js';
import { kindCounts, NO_HV_COUNTS, REFERENCE_COUNTS, REFERENCE_INI } from '../helpers/reference-schedule.js';

const cat = catalogue();
let dir = '';
let runFile = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-schedule-'));
  runFile = path.join(dir, 'run_00007.json');
  fs.writeFileSync(path.join(dir, 'run_00001.json'), '{}');
  fs.writeFileSync(runFile, '{}');
});

/** The generator's file as it is, beside a run_00001.json (its run_file is that relative name). */
function reference(): string {
  return write('original-standard-fat.ini', fs.readFileSync(REFERENCE_INI, 'utf8'));
}

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

  it("standard: the original generator's schedule, section by section: names, kinds, parameters", () => {
    const mine = checkSchedule(write('standard.ini', scheduleTemplate('standard', runFile)), cat);
    expectValid(mine.problems);
    expect(mine.schedule.warnings).toEqual([]);
    const ref = checkSchedule(reference(), cat);
    expectValid(ref.problems);
    const view = (s: Schedule) => s.tasks.map((t) => ({ section: t.section, kind: t.kind, params: t.params }));
    expect(mine.schedule.tasks).toHaveLength(1114);
    // one section at a time, so a difference names its section
    view(ref.schedule).forEach((want, i) => expect(view(mine.schedule)[i], want.section).toEqual(want));
    expect(mine.schedule.constants.verbose).toBe(false);

    // backups never after the large-data measurements
    const large = new Set([
      'measure_gain',
      'measure_scaler',
      'slowmon',
      'constant_monitor',
      'measure_linearity',
      'measure_pulsed_waveform',
    ]);
    const tasks = mine.schedule.tasks;
    expect(tasks.filter((t) => t.runBackup && large.has(t.kind))).toEqual([]);
    expect(tasks.filter((t) => t.runBackup).length).toBeGreaterThan(10);
    // one to two weeks of lab time
    const est = estimateSchedule(mine.schedule, cat, 16);
    expect(est.totalS / 86400).toBeGreaterThan(7);
    expect(est.totalS / 86400).toBeLessThan(14);
  });

  it("standard without HV (the generator's --no_hv): 1086 tasks, counted as original-standard-fat.md gives them", () => {
    // The original generator cannot run here, so this variant comes from icefat's template; the
    // HV variant above equals the generator's real output section by section, and these are the
    // reference's own counts for --no_hv.
    const r = checkSchedule(write('standard-no-hv.ini', scheduleTemplate('standard', runFile, { hv: false })), cat);
    expectValid(r.problems);
    expect(kindCounts(r.schedule.tasks)).toEqual(NO_HV_COUNTS);
    expect(r.schedule.tasks).toHaveLength(1086);
    expect(r.schedule.tasks.at(-1)).toMatchObject({
      section: 'manual_input_4',
      params: { message: 'Run is Finished, install dehumidifiers!' },
    });
  });
});

describe('the original create_fat_config.py output (test/fixtures/schedules/original-standard-fat.ini, as it is)', () => {
  it('reads every section, by position against the real signatures: 1114 tasks, counted as original-standard-fat.md gives them', () => {
    const r = checkSchedule(reference(), cat);
    expect(r.schedule.format).toBe('original');
    expectValid(r.problems);
    expect(r.schedule.tasks).toHaveLength(1114);
    expect(kindCounts(r.schedule.tasks)).toEqual(REFERENCE_COUNTS);
    const s = r.schedule.tasks;
    expect(s[0]).toMatchObject({ section: 'disable_laser_0', kind: 'disable_laser', params: {} });
    expect(s[1]).toMatchObject({ section: 'status_check_0', kind: 'status_check', params: { verbose: true, reboot: false } });
    expect(s.find((t) => t.section === 'dummy_wrapper_0')).toMatchObject({ kind: 'set_freezer', params: { fcurrent: 20, fdelta: -60 } });
    expect(s.find((t) => t.section === 'constant_monitor_1')!.params).toMatchObject({
      max_i: 2,
      n_jobs: 4,
      use_fir: false,
      verbose: true,
      ignore_warn: false,
    });
    expect(s.find((t) => t.section === 'measure_pulsed_waveform_0')!.params).toMatchObject({
      comment: 'double burst 0.05fw, 100 Hz',
      strength0: 0.05,
      strength1: 1,
      n_jobs: 4,
      mode: 'double',
    });
    expect(s.find((t) => t.section === 'measure_camera_0')!.params).toEqual({
      comment: 'FAT',
      n_jobs: 4,
      plot: true,
      test: false,
      n_images: 30,
    });
    expect(s.find((t) => t.section === 'measure_pattern_0')!.params).toEqual({ comment: 'FAT test', n_jobs: 4 });
    expect(s.filter((t) => t.runBackup)).toEqual([]);
  });

  it("run_timing's positional slip: runs as the keys say, with a warning naming section and line", () => {
    const f = reference();
    const r = checkSchedule(f, cat);
    const timing = r.schedule.tasks.filter((t) => t.kind === 'run_timing');
    expect(timing.map((t) => t.section)).toEqual(['run_timing_0', 'run_timing_1', 'run_timing_2']);
    // by position the original got fStrength = 'charge_stamp', method = True, overwrite = False
    for (const t of timing)
      expect(t.params).toEqual({
        comment: 'spe level tts -40',
        n_jobs: 4,
        f_strength: 1,
        method: 'charge_stamp',
        overwrite: true,
        verbose: false,
        alt_fitting: false,
      });
    const slips = r.schedule.warnings.filter((w) => w.code === 'positional-slip' && w.section?.startsWith('run_timing'));
    expect(slips.map(formatProblem)).toEqual(
      [1043, 2552, 6090].map(
        (line, i) =>
          `${f} line ${line}, [run_timing_${i}] method: the original passes a section's values by position, so here method = charge_stamp landed in f_strength, overwrite = True landed in method, verbose = False landed in overwrite; icefat runs the section as its keys say`,
      ),
    );
    // analysis_wrapper's keys are out of order too (offline before simple): as the keys say, and said
    const ana = r.schedule.warnings.filter((w) => w.code === 'positional-slip' && w.section?.startsWith('analysis_wrapper'));
    expect(ana.map((w) => [w.section, w.line])).toEqual([
      ['analysis_wrapper_0', 56],
      ['analysis_wrapper_1', 820],
      ['analysis_wrapper_2', 1965],
      ['analysis_wrapper_3', 4371],
    ]);
    expect(r.schedule.tasks.find((t) => t.section === 'analysis_wrapper_0')!.params).toMatchObject({
      offline: false,
      simple: false,
      save_df: false,
    });
  });

  it('bool("False"): verbose and run_backup read as false, each with a warning naming section and line', () => {
    const f = reference();
    const r = checkSchedule(f, cat);
    expect(r.schedule.constants.verbose).toBe(false);
    const bools = r.schedule.warnings.filter((w) => w.code === 'python-bool');
    expect(bools[0]).toMatchObject({ section: 'constants', key: 'verbose', line: 3 });
    expect(formatProblem(bools[0])).toContain(
      `${f} line 3, [constants] verbose: the original read any text here as True (Python's bool("False"))`,
    );
    const backups = bools.slice(1);
    // every section the generator wrote run_backup = False into: gain, slowmon, constant_monitor, linearity, double pulse
    expect(backups).toHaveLength(4 + 80 + 81 + 3 + 3);
    expect(backups[0]).toMatchObject({ section: 'measure_gain_0', key: 'run_backup', line: 37 });
    expect(backups[0].message).toMatch(
      /^the original backed up after this task all the same .*icefat reads it as false: no backup after this task$/,
    );
    expect(r.schedule.tasks.find((t) => t.section === 'measure_gain_0')!.runBackup).toBe(false);
    // grouped for people: one line per kind of warning, naming where
    const lines = groupWarnings(r.schedule.warnings);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^\[measure_gain_0\] run_backup line 37, \[slowmon_0\] run_backup line 81, .* and 167 more: the original backed up/,
    );
  });

  it("verbose = True (the generator's -v) gives no verbose warning", () => {
    const f = write('original-v.ini', fs.readFileSync(reference(), 'utf8').replace('verbose = False', 'verbose = True'));
    const r = checkSchedule(f, cat);
    expectValid(r.problems);
    expect(r.schedule.constants.verbose).toBe(true);
    expect(r.schedule.warnings.filter((w) => w.section === 'constants')).toEqual([]);
    expect(r.schedule.tasks).toHaveLength(1114);
  });

  it('fails on a missing run file, naming section, key and line, and returns no tasks', () => {
    const f = REFERENCE_INI;
    const r = checkSchedule(f, cat);
    const p = r.problems.find((x) => x.code === 'constants')!;
    expect(formatProblem(p)).toBe(
      `${f} line 2, [constants] run_file: ${path.join(path.dirname(REFERENCE_INI), 'run_00001.json')} does not exist (create the run with \`fat run new\`)`,
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

  it('a key that names no parameter is a label: its value goes by position, with a warning', () => {
    const f = write(
      'orig-label.ini',
      header() + '[wait_time_0]\npackage = degg_measurements.utils.master_tools\ntask = wait_time\nseconds = 30\n',
    );
    const r = checkSchedule(f, cat);
    expectValid(r.problems);
    expect(r.schedule.tasks[0].params).toEqual({ pause: 30 });
    expect(r.schedule.warnings.map(formatProblem)).toEqual([
      `${f} line 7, [wait_time_0] seconds: "seconds" is not a parameter of wait_time (pause): the original passed it by position, as pause, and so does icefat`,
    ]);
  });

  it('every task parameter, stored as the journal stores it (JSON), parses again to itself when the task runs', () => {
    const tasks = checkSchedule(reference(), cat).schedule.tasks;
    const changed = tasks.flatMap((t) => {
      const stored = JSON.parse(JSON.stringify(t.params)) as unknown;
      const again = cat.get(t.kind)!.params.safeParse(stored);
      return again.success && JSON.stringify(again.data) === JSON.stringify(t.params)
        ? []
        : [`${t.section}: ${again.success ? JSON.stringify(again.data) : again.error.message}`];
    });
    expect(changed).toEqual([]);
  });

  it('expands monitoring_session(comment, reboot=False, n_sets=6) as the original, every set, and names an unknown fragment', () => {
    const f = write(
      'frag.ini',
      header() +
        '[overnight_]\npackage = degg_measurements.daq_scripts.fat_master\nfragment = monitoring_session\ncomment = overnight\nreboot = True\nn_sets = 2\n\n' +
        '[quiet_]\npackage = degg_measurements.daq_scripts.fat_master\nfragment = monitoring_session\ncomment = quiet\nreboot = False\nn_sets = 1\n',
    );
    const s = parseSchedule(f, cat);
    expect(s.tasks.map((t) => [t.section, t.kind, t.params, t.runBackup])).toEqual([
      ['overnight_rr0', 'readout_and_readout', { set_time: 3600, comment: 'overnight:0' }, true],
      ['overnight_rb0', 'readout_and_reboot', { comment: 'overnight:0', set_time: 1200 }, true],
      ['overnight_rr1', 'readout_and_readout', { set_time: 3600, comment: 'overnight:1' }, true],
      ['overnight_rb1', 'readout_and_reboot', { comment: 'overnight:1', set_time: 1200 }, true],
      ['quiet_rr0', 'readout_and_readout', { set_time: 3600, comment: 'quiet:0' }, true],
    ]);
    // the original returned inside its loop: only the first set
    expect(s.warnings.map(formatProblem)).toEqual([
      `${f} line 6, [overnight_] fragment: the original's monitoring_session returns inside its loop, so it added the first of the 2 sets only; icefat adds all 2`,
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

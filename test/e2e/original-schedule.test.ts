import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { masterStates, query, runJson, setupRun, spawnFat, waitFor, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { kindCounts, NO_HV_COUNTS, REFERENCE_COUNTS, REFERENCE_INI } from '../helpers/reference-schedule.js';

/**
 * A shifter follows the seed: the original `create_fat_config.py RUN.json config.ini` output goes
 * to `fat schedule check` and `fat master` as it is; and what the original master did that icefat
 * lacked: `--test`, the uncommitted-changes guard, an FPGA reflashed up to three times.
 */
describe('the original schedule files and master behaviours, through the fat binary', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let slack: FakeSlack;
  let config = '';
  const slackEnv = () => ({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url });
  const channel = () => slack.messages.filter((m) => m.channel === 'C1').map((m) => m.text);

  beforeAll(async () => {
    [env, slack] = await Promise.all([labWithHome(TEST_PORTS.originalSchedule, { timeScale: 50 }), startFakeSlack()]);
    await setupRun(env.run);
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n[slack]\nchannel = "C1"\nshifter = "U1"\nexpert = "U2"\n');
    // beside the run file, as a shifter keeps it: the generator wrote `run_file = run_00001.json`
    config = path.join(env.dir, 'json/run/fat_config.ini');
    fs.copyFileSync(REFERENCE_INI, config);
  }, 90_000);
  afterAll(async () => Promise.all([env?.close(), slack?.close()]), 30_000);

  interface CheckJson {
    ok: boolean;
    format: string;
    modules: number;
    constants: { runFile: string; verbose: boolean };
    tasks: Array<{ kind: string; section: string; params: Record<string, unknown> }>;
    problems: unknown[];
    warnings: Array<{ section: string; key: string; line: number; code: string }>;
  }
  const check = async (file: string) => {
    const r = await env.run(['schedule', 'check', file, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return JSON.parse(r.stdout) as CheckJson;
  };

  it('fat schedule check: the generator file as it is, 1114 tasks for the run in the store, with its slips as warnings', async () => {
    const out = await check(config);
    expect(out).toMatchObject({ ok: true, format: 'original', modules: 16, problems: [] });
    expect(out.constants.runFile).toBe(path.join(env.dir, 'json/run/run_00001.json'));
    expect(out.tasks).toHaveLength(1114);
    expect(kindCounts(out.tasks)).toEqual(REFERENCE_COUNTS);
    expect(out.warnings.filter((w) => w.code === 'positional-slip' && w.section.startsWith('run_timing')).map((w) => w.line)).toEqual([
      1043, 2552, 6090,
    ]);

    const text = await env.run(['schedule', 'check', config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Schedule ' + config + ' (original format, 1114 tasks');
    // a fresh home has no finished tasks to learn from: the catalogue's estimates, said so
    expect(text.stdout).toMatch(
      /Total: about \d+ d \d+ h for 16 modules: catalogue estimates: no finished runs of these tasks on this station yet\.\n/,
    );
    expect(text.stdout).toContain(
      '[run_timing_0] method line 1043, [run_timing_1] method line 2552, [run_timing_2] method line 6090: the original passes a section',
    );
    expect(text.stdout).toContain('The schedule is valid.');
  }, 60_000);

  it("the -v variant (verbose = True) and the --no_hv variant (icefat's template: 1086 tasks) pass too", async () => {
    const verbose = path.join(env.dir, 'json/run/fat_config_v.ini');
    fs.writeFileSync(verbose, fs.readFileSync(REFERENCE_INI, 'utf8').replace('verbose = False', 'verbose = True'));
    const v = await check(verbose);
    expect(v.constants.verbose).toBe(true);
    expect(v.tasks).toHaveLength(1114);
    expect(v.warnings.filter((w) => w.section === 'constants')).toEqual([]);

    // the original generator does not run here: --no_hv is checked against its documented counts
    const noHv = path.join(env.dir, 'no_hv.ini');
    const made = await env.run(['schedule', 'create', '1', noHv, '--template', 'standard', '--no-hv']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('1086 tasks');
    const n = await check(noHv);
    expect(n.tasks).toHaveLength(1086);
    expect(kindCounts(n.tasks)).toEqual(NO_HV_COUNTS);
  }, 60_000);

  it('fat master --test: checks the modules, posts the listing, records MasterFAT_00 and measures nothing', async () => {
    const r = await env.run(['master', config, '--test'], slackEnv());
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('You are running with a testing configuration! - No data will be collected!');
    expect(out).toContain('Ready D-Eggs: 16/16, 1114 tasks');
    expect(out).toContain('recorded as MasterFAT_00');
    // the slips are told at the start, as at fat schedule check
    expect(out).toContain('fat_config.ini: [run_timing_0] method line 1043');

    const entry = runJson(env.dir).MasterFAT_00 as Record<string, unknown>;
    const states = masterStates(env.dir);
    expect(Object.keys(states)).toHaveLength(1114);
    expect(new Set(Object.values(states))).toEqual(new Set([-1]));
    expect(states['[1113] manual_input_4']).toBe(-1);
    expect(fs.readFileSync(entry.ConfigPath as string, 'utf8')).toBe(fs.readFileSync(REFERENCE_INI, 'utf8'));
    expect(entry.Date).toMatch(/^\d{4}-\d\d-\d\d$/);
    // nothing ran: no journal, no results
    expect(
      query(env.dir, 'select (select count(*) from schedules) s, (select count(*) from tasks) t, (select count(*) from results) r'),
    ).toEqual([{ s: 0, t: 0, r: 0 }]);

    await waitFor('the listing in Slack', () => channel().find((m) => m.includes('Condensed Schedule:')), 30_000);
    const listing = channel().find((m) => m.includes('Condensed Schedule:'))!;
    expect(channel().some((m) => m.includes('You are running with a testing configuration!'))).toBe(true);
    expect(listing).toContain('[2] measure_stf');
    expect(listing).toContain('[1113] manual_input');
    expect(listing).not.toContain('status_check');
  }, 90_000);

  it('fat master refuses uncommitted station changes unless --allow-dirty, and records nothing when it refuses', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', env.dir, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args]);
    git('init', '-q');
    git('add', 'station.toml', 'modules.toml');
    git('commit', '-qm', 'station');
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n# moved filter wheel 1 to the other USB port\n');
    const ini = writeSchedule(env.dir, 'short', [{ name: 'wait_time_0', task: 'wait_time', pause: 5 }]);
    const guarded = { FAT_ALLOW_DIRTY: '' };

    const refused = await env.run(['master', ini], guarded);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/Commit changes to the repository before running a measurement! Or use --allow-dirty to run it anyway/);
    expect(refused.stderr).toMatch(/station configuration .*station\.toml/);
    expect(query(env.dir, 'select count(*) n from schedules')).toEqual([{ n: 0 }]);
    expect(runJson(env.dir).MasterFAT_01).toBeUndefined();

    const ran = await env.run(['master', ini, '--allow-dirty'], guarded);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/running with uncommitted changes \(--allow-dirty\): .*station\.toml/);
    expect(masterStates(env.dir, 'MasterFAT_01')).toEqual({ '[0] wait_time_0': 1 });
    git('checkout', '-q', 'station.toml');
  }, 90_000);

  it('an unconfigured FPGA is reflashed up to three times, with a warning to people, before the module is power-cycled and excluded', async () => {
    const [stuck, slow] = [env.lab.truth.modules[5], env.lab.truth.modules[10]];
    const ini = writeSchedule(env.dir, 'fpga', [
      { name: 'wait_time_0', task: 'wait_time', pause: 150 },
      { name: 'status_check_0', task: 'status_check', verbose: false },
      { name: 'wait_time_1', task: 'wait_time', pause: 2 },
    ]);
    const master = spawnFat(env.dir, ['master', ini], slackEnv());
    await waitFor(
      'the first wait of the new schedule',
      () =>
        query(
          env.dir,
          "select 1 from tasks t join schedules s on s.id = t.schedule_id where s.state = 'active' and t.idx = 0 and t.state = 'running'",
        )[0],
      60_000,
      20,
    );
    // both lose their FPGA configuration: one can never be flashed again, the other at the third try
    env.lab.ctx.faults.add({ kind: 'fpga-flash-fails', target: String(stuck.port) });
    env.lab.ctx.faults.add({ kind: 'fpga-flash-fails', target: `${slow.port}/2` });

    const r = await master.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    const gaveUp = `D-Egg ${stuck.deggSerial} (port ${stuck.port}): failed to reconfigure its FPGA 3 times in a row`;
    // three flashes, the power cycle, three flashes again, then out
    expect(out.split(gaveUp)).toHaveLength(3);
    expect(out.indexOf(gaveUp)).toBeLessThan(out.indexOf(`(port ${stuck.port}) failed its status check`));
    expect(out).toContain('power-cycling it once');
    expect(out).toContain(`D-Egg ${slow.deggSerial} (port ${slow.port}): FPGA configured at flash attempt 3 of 3`);
    expect(out).toContain('D-Eggs Responsive: 15 / 16');

    const mods = query<{ port: number; state: string; state_reason: string | null }>(
      env.dir,
      'select port, state, state_reason from modules',
    );
    expect(mods.filter((m) => m.state === 'excluded').map((m) => m.port)).toEqual([stuck.port]);
    expect(mods.find((m) => m.port === stuck.port)!.state_reason).toMatch(/its FPGA stays unconfigured \(65535\) after 3 flashes/);
    // the warning reached people: the channel and the shifter's and the expert's direct messages
    await waitFor('the warning in Slack', () => slack.messages.filter((m) => m.text.includes(gaveUp)).length >= 2, 30_000);
    expect(slack.opened).toEqual(expect.arrayContaining(['U1', 'U2']));
  }, 120_000);
});

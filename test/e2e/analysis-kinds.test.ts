import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import {
  deggJson,
  masterStates,
  openPrompt,
  query,
  setupRun,
  spawnFat,
  waitFor,
  writeSchedule,
  type Background,
} from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { editDoc } from '../helpers/docs.js';

/**
 * The analysis kinds, the kinds without hardware and the verdicts, through the real binary on the
 * simulated lab: a gain scan, then a schedule that re-analyses it from its HDF5 files
 * (analysis_wrapper, trigger_remote_wrapper gain), re-judges the dark rate from its scaler series,
 * checks every PMT has an HV at 1e7 (validate_gain) and measures the timing (whose results the tts
 * analysis lists); `fat results` shows the verdicts. validate_gain pauses with a prompt naming a
 * PMT whose HV at 1e7 is gone.
 */
type Pmt = 'LowerPmt' | 'UpperPmt';
const PMTS: Pmt[] = ['LowerPmt', 'UpperPmt'];

describe('analysis kinds, skipped kinds and fat results', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const scanHv = new Map<string, number>();
  const scalerMean = new Map<string, number>();
  const masters: Background[] = [];

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.analysisKinds, { timeScale: 1000 });
    await setupRun(env.run);
  }, 90_000);
  afterEach(() => {
    for (const m of masters.splice(0)) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  });
  afterAll(async () => env?.close(), 30_000);

  const tasks = () =>
    query<{ idx: number; section: string; state: string; result: string | null; error: string | null }>(
      env.dir,
      'select t.idx, t.section, t.state, t.result, t.error from tasks t join schedules s on s.id = t.schedule_id order by s.id desc, t.idx',
    );

  it('a gain scan and a dark-rate measurement to analyse', async () => {
    const g = await env.run(['measure', 'gain', '-j', '4', '--events', '2000', '--json']);
    expect(g.code, g.stdout + g.stderr).toBe(0);
    const s = JSON.parse(g.stdout) as { pmts: Array<{ serial: string; pmt: Pmt; hv1e7GainVolts: number }> };
    expect(s.pmts).toHaveLength(32);
    for (const x of s.pmts) scanHv.set(`${x.serial} ${x.pmt}`, x.hv1e7GainVolts);
    const d = await env.run(['measure', 'scaler', '-j', '4', '--runs', '30', '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    for (const x of (JSON.parse(d.stdout) as { pmts: Array<{ serial: string; pmt: Pmt; darkRateHz: number }> }).pmts)
      scalerMean.set(`${x.serial} ${x.pmt}`, x.darkRateHz);
    expect(scalerMean.size).toBe(32);
  }, 150_000);

  it('fat master: analyses re-derived from the HDF5 files, skips recorded with their reasons, verdicts in fat results', async () => {
    // a wrong value in one PMT section: the analysis must replace it with the one from the files
    const victim = env.lab.truth.modules[3];
    const file = (JSON.parse(fs.readFileSync(path.join(env.dir, 'json/run/run_00001.json'), 'utf8')) as Record<string, string>)[
      victim.deggSerial
    ];
    await editDoc(env.dir, file, (doc) => {
      doc.UpperPmt.HV1e7Gain = 1234;
    });

    const ini = writeSchedule(env.dir, 'analyses', [
      { name: 'analysis_wrapper_0', task: 'analysis_wrapper', pdf: true },
      { name: 'validate_gain_0', task: 'validate_gain' },
      { name: 'trigger_remote_wrapper_gain_0', task: 'trigger_remote_wrapper', analysis: 'gain' },
      { name: 'trigger_remote_wrapper_darkrate_0', task: 'trigger_remote_wrapper', analysis: 'darkrate' },
      { name: 'trigger_remote_wrapper_linearity_0', task: 'trigger_remote_wrapper', analysis: 'linearity' },
      { name: 'run_timing_0', task: 'run_timing', n_events: 300, n_blocks: 2 },
      { name: 'trigger_remote_wrapper_tts_0', task: 'trigger_remote_wrapper', analysis: 'tts' },
    ]);
    const r = await env.run(['master', ini]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(Object.values(masterStates(env.dir))).toEqual([1, 1, 1, 1, 1, 1, 1]);

    // HV at 1e7 re-derived from the files: the scan's own value and the truth, within 1%
    for (const m of env.lab.truth.modules) {
      const d = deggJson(env.dir, m.deggSerial);
      for (const [ch, pmt] of PMTS.entries()) {
        const sec = d[pmt] as Record<string, unknown>;
        const hv = sec.HV1e7Gain as number;
        const who = `${m.deggSerial} ${pmt}`;
        expect(Math.abs(hv / scanHv.get(who)! - 1), `${who}: ${hv} V vs the scan's ${scanHv.get(who)} V`).toBeLessThan(0.01);
        expect(Math.abs(hv / m.pmts[ch].hv1e7Volts - 1), `${who}: ${hv} V vs truth ${m.pmts[ch].hv1e7Volts} V`).toBeLessThan(0.01);
        const e = sec.GainMeasurement_00 as Record<string, unknown>;
        expect(e.HV1e7Gain).toBe(hv);
        expect(e.GainFitExp as number).toBeCloseTo(Math.log(1e7 / (e.GainFitNorm as number)) / Math.log(hv), 6);
        expect(e.Analysis).toMatchObject({ By: 'trigger_remote_wrapper', HVMethod: 'power-law' });
        expect(sec.SPEPeakHeight as number).toBeGreaterThan(0.001);
        expect(sec.SPEPeakHeight as number).toBeLessThan(0.01);
        // the TTS: one entry per PMT with its offset to the tabletop
        const tts = sec.TransitTimeSpread_00 as Record<string, unknown>;
        expect(tts.Comment).toBe('spe level tts');
        expect(Number.isFinite(tts.OffsetNs)).toBe(true);
        expect(tts.Skipped).toBeUndefined();
      }
    }

    // what each task said it did
    const t = tasks().slice(0, 7);
    const res = (i: number) => JSON.parse(t[i].result ?? '{}') as Record<string, unknown>;
    expect(String(res(0).pdf)).toContain('no PDF was made');
    expect(res(1)).toMatchObject({ valid: 32, total: 32, invalid: [], prompt: null });
    expect(res(2)).toMatchObject({ analysis: 'gain', status: 'analysed', problems: [] });
    expect(res(3)).toMatchObject({ analysis: 'darkrate', status: 'analysed', problems: [] });
    expect(res(4)).toMatchObject({ analysis: 'linearity', status: 'nothing-to-analyse' });
    expect(res(4).message).toContain('measure_linearity has not run');
    expect(res(6)).toMatchObject({ analysis: 'tts', status: 'recorded', problems: [] });
    expect(res(6).message).toContain('run_timing judged its data when it ran: 64 pass');
    // counted, not copied: the rows stay in the results table (a quick monitoring's copy grew with the run)
    expect(res(6).detail).toMatchObject({ counts: { pass: 64, fail: 0 } });
    expect(res(6).detail).not.toHaveProperty('results');
    expect(out).toContain('no PDF was made');
    expect(out).toMatch(/linearity: nothing to analyse/);

    // the dark rate re-judged from the scaler series agrees with the measurement
    const dark = (res(3).detail as { pmts: Array<{ serial: string; pmt: Pmt; meanHz: number; verdict: string }> }).pmts;
    expect(dark).toHaveLength(32);
    for (const x of dark) expect(x.meanHz).toBeCloseTo(scalerMean.get(`${x.serial} ${x.pmt}`)!, 6);

    // fat results: a verdict per module, info rows for what was not measured
    const j = await env.run(['results', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const rep = JSON.parse(j.stdout) as {
      run: number;
      counts: Record<string, number>;
      modules: Array<{ serial: string; verdict: string; judged: number; info: number; reasons: string[] }>;
    };
    expect(rep.run).toBe(1);
    expect(rep.modules).toHaveLength(16);
    for (const m of rep.modules) {
      expect(['pass', 'marginal', 'fail'], m.serial).toContain(m.verdict);
      // latest per (PMT, quantity): 2 × (hv1e7, spe height, dark rate, SPE time resolution, TTS)
      // judged; exponent and timing offset info
      expect(m.judged, m.serial).toBe(10);
      expect(m.info, m.serial).toBe(4);
      if (m.verdict === 'pass') expect(m.reasons).toEqual([]);
      else expect(m.reasons.length).toBeGreaterThan(0);
    }
    expect(rep.counts.pass + rep.counts.marginal + rep.counts.fail).toBe(16);

    const one = await env.run(['results', '1', '--module', victim.deggSerial]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`Results of ${victim.deggSerial}`);
    expect(one.stdout).toMatch(/timing\.tts LowerPmt: \d+(\.\d+)? ns {2}PASS/);
    expect(one.stdout).toMatch(/gain\.hv1e7 UpperPmt: \d+(\.\d+)? V {2}(PASS|MARGINAL)/);
    expect(one.stdout).toContain('(superseded)');
    expect(one.stdout).toMatch(/icefat [0-9a-f]{7,10}(\+dirty)?, schedule [0-9a-f]{12}, firmware fpga \d+ \/ iceboot \d+, operator /);
    const jm = JSON.parse((await env.run(['results', '--module', String(victim.port), '--json'])).stdout) as { results: unknown[] };
    expect(jm.results.length).toBeGreaterThan(11);

    const bad = await env.run(['results', '--module', 'DEgg-nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('module "DEgg-nope" is not in run 1');
    const noRun = await env.run(['results', '7']);
    expect(noRun.code).not.toBe(0);
    expect(noRun.stderr).toContain('run 7 does not exist');
  }, 120_000);

  it('validate_gain pauses with a prompt naming the PMT without an HV at 1e7; yes goes on', async () => {
    const victim = env.lab.truth.modules[5];
    const file = (JSON.parse(fs.readFileSync(path.join(env.dir, 'json/run/run_00001.json'), 'utf8')) as Record<string, string>)[
      victim.deggSerial
    ];
    await editDoc(env.dir, file, (doc) => {
      delete doc.LowerPmt.HV1e7Gain;
    });

    const ini = writeSchedule(env.dir, 'validate', [{ name: 'validate_gain_0', task: 'validate_gain' }]);
    const master = spawnFat(env.dir, ['master', ini]);
    masters.push(master);
    const prompt = await waitFor('the validate_gain prompt', () => openPrompt(env.dir), 60_000);
    expect(prompt.message).toContain('1 of 32 PMTs have no valid HV at gain 1e7');
    expect(prompt.message).toContain(`${victim.deggSerial} (port ${victim.port}) LowerPmt ${victim.pmts[0].serial} has no HV1e7Gain`);
    expect(prompt.message).not.toContain('UpperPmt');
    const a = await env.run(['answer', 'yes'], { FAT_OPERATOR: 'dora' });
    expect(a.code, a.stderr).toBe(0);
    const done = await master.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toContain('DAQ Paused to run gain analysis!');
    const result = JSON.parse(tasks()[0].result ?? '{}') as Record<string, unknown>;
    expect(result).toMatchObject({ valid: 31, total: 32, prompt: { answer: 'yes', answeredBy: 'dora' } });
    expect(result.invalid).toEqual([expect.objectContaining({ serial: victim.deggSerial, pmt: 'LowerPmt' })]);
  }, 90_000);
});

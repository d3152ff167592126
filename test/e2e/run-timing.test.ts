import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIDE_TTS_NS } from '../../src/sim/iceboot/mainboard.js';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, masterStates, query, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { seedHv1e7 } from '../helpers/docs.js';

/**
 * run_timing through the real binary against the simulated lab. Every D-Egg's mainboard counts its
 * own ICM's oscillator (its own offset, a drift of 0.3-3 ppm), behind a wire pair of its own
 * delay; the tabletop board has its own ICM and field hub. Only a right RapCal conversion puts the
 * PMTs' laser pulses at the truth's offsets to the tabletop's sync (fibre + transit - sync delay),
 * with the truth's spreads (`fat sim truth`).
 */
interface Summary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: 'LowerPmt' | 'UpperPmt';
    pmtSerial: string;
    offsetNs: number;
    speTimeResolutionNs: number;
    pmtTimingResolutionNs: number;
    events: number;
    baselineAdc: number;
    thresholdAdc: number;
    cableDelayNs: number;
    clockDriftPpm: number;
  }>;
  failures: unknown[];
}

interface TruthPmt {
  name: string;
  timing: { offsetToTabletopNs: number; speTimeResolutionNs: number; pmtTimingResolutionNs: number };
}
interface Truth {
  modules: Array<{ port: number; deggSerial: string; icmClock: { driftPpm: number; cableDelayNs: number }; pmts: TruthPmt[] }>;
}

interface ResultRow {
  port: number;
  pmt: string;
  name: string;
  value: number | null;
  verdict: string;
  reason: string;
}

describe('run_timing on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let truth: Truth;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.runTiming, { timeScale: 50 });
    await setupRun(env.run);
    // as after a gain scan: every PMT at its HV for gain 1e7
    await seedHv1e7(env.dir, env.lab.truth);
    const t = await env.run(['sim', 'truth', '--json']);
    expect(t.code, t.stderr).toBe(0);
    truth = JSON.parse(t.stdout) as Truth;
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  const truthOf = (port: number, pmt: string) => {
    const m = truth.modules.find((x) => x.port === port)!;
    return { m, p: m.pmts.find((x) => x.name === pmt)! };
  };

  it('fat measure timing: offsets within 1 ns and spreads within 10% of fat sim truth; entries, files and verdicts', async () => {
    const r = await env.run(['measure', 'timing', '--events', '4000', '--blocks', '5', '--comment', 'tts', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.failures).toEqual([]);
    expect(s.pmts).toHaveLength(32);
    for (const x of s.pmts) {
      const { m, p } = truthOf(x.port, x.pmt);
      const what = `${x.serial} ${x.pmt}: ${JSON.stringify(x)} vs ${JSON.stringify(p.timing)}`;
      expect(Math.abs(x.offsetNs - p.timing.offsetToTabletopNs), what).toBeLessThan(1);
      expect(Math.abs(x.speTimeResolutionNs / p.timing.speTimeResolutionNs - 1), what).toBeLessThan(0.1);
      expect(Math.abs(x.pmtTimingResolutionNs / p.timing.pmtTimingResolutionNs - 1), what).toBeLessThan(0.1);
      // RapCal found the wire pair and the ICM's oscillator
      expect(Math.abs(x.cableDelayNs - m.icmClock.cableDelayNs), what).toBeLessThan(1);
      expect(Math.abs(x.clockDriftPpm - m.icmClock.driftPpm), what).toBeLessThan(0.01);
      expect(x.events, what).toBeGreaterThan(5000);
    }
    // the PMTs differ by more than the tolerance, and their clocks run apart by ppm: a conversion
    // that ignored either would miss
    const offsets = s.pmts.map((x) => x.offsetNs);
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(10);
    expect(Math.min(...truth.modules.map((m) => Math.abs(m.icmClock.driftPpm)))).toBeGreaterThan(0.29);
    expect(env.lab.ctx.lab.fg.outputOn).toBe(false);

    // raw data: a file per PMT and the tabletop's; a PMT's stamps and the sync of the same shot are
    // hours apart in their own clocks and tens of ns apart in hub time
    const files = fs.readdirSync(s.folder).filter((f) => f.endsWith('.hdf5'));
    expect(files).toHaveLength(33);
    const first = s.pmts[0];
    const raw = await readHdf5(path.join(s.folder, `${first.pmtSerial}.hdf5`));
    expect(raw.attrs).toMatchObject({
      degg: first.serial,
      port: first.port,
      pmt: first.pmt,
      laser_hz: 500,
      dac: 30000,
      blocks: 5,
      events_per_block: 4000,
    });
    const tt = await readHdf5(path.join(s.folder, 'tabletop.hdf5'));
    const dt = raw.datasets.delta_t_ns.value as Float64Array;
    const ticks = raw.datasets.timestamp_ticks.value as Float64Array;
    const hub = raw.datasets.hub_time_s.value as Float64Array;
    const i = dt.findIndex((d) => Math.abs(d - first.offsetNs) < 10);
    const ttHub = tt.datasets.hub_time_s.value as Float64Array;
    const j = ttHub.findIndex((h) => Math.abs((hub[i] - h) * 1e9 - dt[i]) < 1e-3);
    expect(j).toBeGreaterThanOrEqual(0);
    expect(Math.abs(ticks[i] - (tt.datasets.timestamp_ticks.value as Float64Array)[j]) / 240e6).toBeGreaterThan(60);

    for (const x of s.pmts) {
      const e = (deggJson(env.dir, x.serial)[x.pmt] as Record<string, Record<string, unknown>>).TransitTimeSpread_00;
      expect(e, `${x.serial} ${x.pmt}`).toMatchObject({
        Folder: s.folder,
        Filepath: s.folder,
        Comment: 'tts',
        Filter: 1,
        LaserFreq: 500,
        EventsPerBlock: 4000,
        NumBlocks: 5,
        Ignored: 'False',
        Method: 'charge_stamp',
        Threshold: x.thresholdAdc,
      });
      expect(x.thresholdAdc).toBe(Math.round(x.baselineAdc + 100));
      expect(e.OffsetNs).toBeCloseTo(x.offsetNs, 9);
      expect(e.PmtTimingResolutionNs).toBeCloseTo(x.pmtTimingResolutionNs, 9);
    }
    const rows = query<ResultRow>(env.dir, "select * from results where kind = 'run_timing'");
    expect(rows).toHaveLength(96);
    for (const row of rows) {
      if (row.name === 'timing.offset') expect(row.verdict).toBe('info');
      else expect(row.verdict, JSON.stringify(row)).toBe(row.value! <= (row.name === 'timing.tts' ? 3.5 : 5) ? 'pass' : 'fail');
    }
    expect(rows.filter((x) => x.verdict === 'pass')).toHaveLength(64);
  }, 120_000);

  it('fat master runs run_timing; a PMT with a wide transit-time spread fails both timing goalposts for that reason', async () => {
    const bad = env.lab.truth.modules[5];
    const target = `${bad.port}/1`;
    env.lab.ctx.faults.add({ kind: 'wide-tts', target });
    try {
      const ini = writeSchedule(env.dir, 'timing', [
        {
          name: 'run_timing_0',
          task: 'run_timing',
          comment: 'spe level tts -40',
          n_jobs: 4,
          method: 'charge_stamp',
          overwrite: true,
          verbose: false,
          n_events: 1500,
          n_blocks: 3,
        },
      ]);
      const r = await env.run(['master', ini]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(masterStates(env.dir)).toEqual({ '[0] run_timing_0': 1 });
    } finally {
      env.lab.ctx.faults.remove('wide-tts', target);
    }
    const task = query<{ id: number }>(env.dir, "select id from tasks where kind = 'run_timing' order by id desc limit 1")[0].id;
    const rows = query<ResultRow>(env.dir, 'select * from results where task_id = ?', task);
    expect(rows).toHaveLength(96);
    const of = (port: number, pmt: string, name: string) => rows.find((x) => x.port === port && x.pmt === pmt && x.name === name)!;
    const tts = of(bad.port, 'UpperPmt', 'timing.tts');
    const spe = of(bad.port, 'UpperPmt', 'timing.spe_resolution');
    expect(tts.verdict).toBe('fail');
    expect(tts.reason).toMatch(/above 3\.5 ns/);
    expect(Math.abs(tts.value! / WIDE_TTS_NS - 1)).toBeLessThan(0.1);
    expect(spe.verdict).toBe('fail');
    expect(spe.reason).toMatch(/above 5 ns/);
    // its laser pulses still come at the truth's time
    const { p } = truthOf(bad.port, 'UpperPmt');
    expect(Math.abs(of(bad.port, 'UpperPmt', 'timing.offset').value! - p.timing.offsetToTabletopNs)).toBeLessThan(1);
    // every other PMT passes
    const failed = rows.filter((x) => x.verdict === 'fail');
    expect(failed.map((x) => `${x.port} ${x.pmt} ${x.name}`).sort()).toEqual(
      [`${bad.port} UpperPmt timing.spe_resolution`, `${bad.port} UpperPmt timing.tts`].sort(),
    );
    const e = (deggJson(env.dir, bad.deggSerial).UpperPmt as Record<string, Record<string, unknown>>).TransitTimeSpread_01;
    expect(e).toMatchObject({ Comment: 'spe level tts -40', EventsPerBlock: 1500, NumBlocks: 3 });
  }, 120_000);
});

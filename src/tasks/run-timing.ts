import path from 'node:path';
import { z } from 'zod';
import { shotDifferencesNs, timingSpread, type TimingSpread } from '../analysis/timing.js';
import { newDataDir } from '../station/data-dirs.js';
import { ICM_FIELD_HUB_DEVICE, IcmClient } from '../lab/icm-client.js';
import { ConfigError, wirePairOf, type Station } from '../lab/station.js';
import { writeHdf5 } from '../store/hdf5.js';
import { hvUpAll, withLaserLab } from './laser-lab.js';
import { measureBaseline } from './pmt-baseline.js';
import { hvSetPoint, PMTS, pmtSerialOf, type PmtName, type PmtIdentity, pmtFileAttrs, pmtIdentity } from './pmt-json.js';
import { rounds } from './rounds.js';
import { newBoard, recordBlock, TIMING, type Board } from './timing-acquire.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { eachModule, measurementFailures, type FailureLog } from './module-jobs.js';
import { iniBool, iniChoice, iniInt, iniNumber, iniText } from './values.js';
import { resultRow } from './result-rows.js';

/**
 * `run_timing` (timing/get_offset.py, original-system.md §6.8): the laser at 500 Hz through filter
 * strength 1; charge stamps of both PMTs of every D-Egg (dual-channel trigger at baseline + 100 ADC,
 * DAC 30000, HV at HV1e7Gain) and of the tabletop board's laser sync, all at once, in blocks of
 * 500 D-Egg stamps (5 blocks), each bracketed by RapCal exchanges of every board with its field
 * hub (timing-acquire.ts). RapCal turns every stamp into hub time (analysis/rapcal.ts); per PMT,
 * the difference to the tabletop's sync stamp of the same laser shot gives the offset to the
 * tabletop (timing.offset), its spread the SPE time resolution (timing.spe_resolution, at most
 * 5 ns) and that spread without the two 240 MHz roundings the PMT timing resolution (timing.tts,
 * at most 3.5 ns) (analysis/timing.ts).
 *
 * Parameters: the original's signature, (run_file, comment, n_jobs, fStrength=1,
 * method='charge_stamp', overwrite=False, verbose=False, ALT_FITTING=False). icefat measures only
 * with charge stamps and the linear RapCal fit (the FAT's data), always measures fresh baselines
 * (overwrite chose whether the original re-measured its baseline files) and always reports its
 * progress (verbose). n_events and n_blocks are icefat's, for short test runs.
 */
const params = z.object({
  comment: iniText().default('spe level tts'),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  /** laser strength: the product of the two filter wheels' transmissions (the original's fStrength, its Filter) */
  f_strength: iniNumber({ min: 0, max: 1 }).default(1).describe('laser strength: the product of the filter wheels'),
  method: iniChoice(['charge_stamp', 'waveform'])
    .refine((m) => m === 'charge_stamp', 'icefat times with charge stamps, as the FAT does: the waveform method is not implemented')
    .default('charge_stamp'),
  overwrite: iniBool(false),
  verbose: iniBool(false),
  alt_fitting: iniBool(false).refine(
    (a) => !a,
    "icefat fits RapCal as the FAT's data did (linear fit): the alternative fits are not implemented",
  ),
  /** D-Egg stamps per block and blocks (500 and 5), for short test runs */
  n_events: iniInt({ min: 50, max: 100_000 })
    .optional()
    .meta({ description: 'charge stamps per D-Egg and block', default: TIMING.eventsPerBlock }),
  n_blocks: iniInt({ min: 1, max: 100 })
    .optional()
    .meta({ description: 'blocks, each between two RapCal exchanges', default: TIMING.blocks }),
});
type P = z.infer<typeof params>;
/** the parameters with icefat's block size and count filled in */
type Q = P & { n_events: number; n_blocks: number };
const resolved = (p: P): Q => ({ ...p, n_events: p.n_events ?? TIMING.eventsPerBlock, n_blocks: p.n_blocks ?? TIMING.blocks });

export interface PmtTiming extends TimingSpread, PmtIdentity {
  hvVolts: number;
  baselineAdc: number;
  thresholdAdc: number;
  /** one-way wire-pair delay and the ICM's clock rate against the hub, from RapCal (means over blocks) */
  cableDelayNs: number;
  clockDriftPpm: number;
  stamps: number;
  file: string;
  key: string;
}

/** The two wheel transmissions whose product is `strength`, the first wheel as open as possible. */
function filterPair(st: Station, strength: number): [number, number] {
  const [w0, w1] = st.filter_wheels.map((w) => [...w.strengths].sort((a, b) => b - a));
  for (const a of w0) for (const b of w1) if (Math.abs(a * b - strength) <= 1e-9 * Math.max(1, strength)) return [a, b];
  throw new Error(
    `run_timing: f_strength ${strength} is no product of the filter wheels' transmissions (wheel 0: ${w0.join(', ')}; wheel 1: ${w1.join(', ')})`,
  );
}

function tabletopIcm(st: Station, stationFile: string): { address: string; device: number } {
  const a = st.tabletop.icm_address;
  if (!a)
    throw new ConfigError(
      `${stationFile} [tabletop] has no icm_address: run_timing needs RapCal with the tabletop board, through the ICM command port of the DomNet instance that serves it (e.g. icm_address = "tcp://127.0.0.1:6008" and icm_device = 3)`,
    );
  return { address: a, device: st.tabletop.icm_device };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

type Baselines = Map<string, { baselineAdc: number; hvVolts: number }>;

/** baselines at DAC 30000 with the laser off */
async function timingBaselines(ctx: TaskContext, p: Q, modules: ActiveModule[], log: FailureLog, baselines: Baselines): Promise<void> {
  await eachModule(ctx, log.without(modules), { jobs: p.n_jobs, log }, async (m) => {
    await ctx.lab.module(m.port, async (s) => {
      for (const ch of [0, 1] as const) {
        const baselineAdc = await measureBaseline(s, ch, m, TIMING);
        const hvVolts = (await s.hvReadback(ch)).hvVolts || (await hvSetPoint(ctx.ws, m.jsonFile, PMTS[ch]));
        baselines.set(`${m.port}/${ch}`, { baselineAdc, hvVolts });
      }
    });
  });
}

/** a board per module still in the run, sorted by port */
async function openModuleBoards(
  ctx: TaskContext,
  modules: ActiveModule[],
  log: FailureLog,
  baselines: Baselines,
  icmAt: (address: string) => IcmClient,
  boards: Board[],
): Promise<void> {
  const st = ctx.ws.station;
  await Promise.all(
    modules
      .filter((x) => !log.has(x))
      .map(async (m) => {
        try {
          const s = await ctx.lab.held(m.port, `D-Egg ${m.serial}`);
          const { address, icmPort } = wirePairOf(st, m.port);
          const [t0, t1] = [0, 1].map((ch) => Math.round(baselines.get(`${m.port}/${ch}`)!.baselineAdc + TIMING.thresholdOverBaselineAdc));
          const icm = icmAt(`tcp://${st.daq_host}:${icmPort}`);
          boards.push(newBoard({ m, s, icm, device: address, thresholdsAdc: [t0, t1] }));
          for (const ch of [0, 1] as const) await s.setConstReadout(ch, TIMING.samples);
        } catch (e) {
          rethrowUnlessModuleFault(ctx, e);
          log.fail(m, e);
        }
      }),
  );
  boards.sort((a, b) => a.m!.port - b.m!.port);
}

/** hub time is a common time only on GPS-locked field hubs (the original checked it too) */
async function checkGpsLock(icms: Map<string, IcmClient>, tabletop: Board, boards: Board[], fail: FailureLog['fail']): Promise<void> {
  for (const icm of icms.values()) {
    const gps = await icm.ok('get_gps_status', ICM_FIELD_HUB_DEVICE).catch((e: unknown) => e as Error);
    if (gps === '0x000e') continue;
    const why = new Error(
      gps instanceof Error
        ? gps.message
        : `the field hub at ${icm.address} reports GPS status ${JSON.stringify(gps)}, not locked (0x000e): its time is no common time; check its GPS antenna and cable`,
    );
    if (icm === tabletop.icm) throw why;
    for (const b of boards) if (b.icm === icm) fail(b.m!, why);
  }
}

async function recordTimingResults(ctx: TaskContext, dir: string, pmts: PmtTiming[]): Promise<void> {
  await ctx.record.results(
    'run_timing',
    dir,
    pmts.flatMap((x) => {
      const detail = {
        events: x.events,
        outside: x.outside,
        offsetErrorNs: x.offsetErrorNs,
        cableDelayNs: x.cableDelayNs,
        clockDriftPpm: x.clockDriftPpm,
      };
      return [
        resultRow(x, 'timing.offset', { value: x.offsetNs, detail }),
        resultRow(x, 'timing.spe_resolution', { value: x.speTimeResolutionNs, detail }),
        resultRow(x, 'timing.tts', { value: x.pmtTimingResolutionNs, detail }),
      ];
    }),
  );
}

export const kind = {
  name: 'run_timing',
  aliases: ['tts'],
  summary: 'PMT offsets to the tabletop and timing resolution: laser at 500 Hz, charge stamps converted to hub time with RapCal',
  quantities: ['timing.offset', 'timing.spe_resolution', 'timing.tts'],
  params,
  positional: ['comment', 'n_jobs', 'f_strength', 'method', 'overwrite', 'verbose', 'alt_fitting'],
  // HV ramp, baselines, then per block the tabletop's recording and two RapCal exchanges
  estimateS: (raw, m) => {
    const p = resolved(raw);
    return (
      40 +
      (rounds(m, p.n_jobs) * 2 * TIMING.baselineWaveforms * TIMING.baselineSwPeriodMs) / 1000 +
      p.n_blocks * ((TIMING.syncPerStamp * p.n_events) / TIMING.laserHz + 2)
    );
  },
  async run(ctx, raw) {
    const p = resolved(raw);
    const ws = ctx.ws;
    const st = ws.station;
    const ttIcm = tabletopIcm(st, ws.home.stationFile);
    const filters = filterPair(st, p.f_strength);
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('run_timing: the run has no active modules');
    const log = measurementFailures(ctx, 'timing', 'run_timing', { once: true });
    const { failures, fail } = log;
    const failed = log.has;
    const dir = newDataDir(ws.home.dataDir, 'tts', ws.clock.now());
    const baselines = new Map<string, { baselineAdc: number; hvVolts: number }>();
    const icms = new Map<string, IcmClient>();
    const icmAt = (address: string) =>
      icms.get(address) ?? icms.set(address, IcmClient.fromAddress(address, { timeoutMs: 3000 })).get(address)!;
    const boards: Board[] = [];
    let tabletop: Board | null = null;

    try {
      await withLaserLab(ctx, async (lab) => {
        await hvUpAll(ctx, modules, fail);
        await timingBaselines(ctx, p, modules, log, baselines);

        const tt = await ctx.lab.held(st.tabletop.address, 'tabletop board');
        tabletop = newBoard({
          m: null,
          s: tt,
          icm: icmAt(ttIcm.address),
          device: ttIcm.device,
          thresholdsAdc: TIMING.tabletopThresholdsAdc,
        });
        await tt.setBaselineDac(0, TIMING.dac);
        for (const ch of [0, 1] as const) await tt.setConstReadout(ch, TIMING.samples);
        await openModuleBoards(ctx, modules, log, baselines, icmAt, boards);
        await checkGpsLock(icms, tabletop, boards, fail);

        await lab.setFilters(...filters);
        await lab.fire(TIMING.laserHz, 1);
        for (let b = 0; b < p.n_blocks; b++) {
          ctx.progress(b / p.n_blocks, `block ${b + 1}/${p.n_blocks}: RapCal, ${p.n_events} stamps per D-Egg, RapCal`);
          const live = boards.filter((x) => !failed(x.m!));
          await recordBlock(ctx, b, tabletop, live, p.n_events, (x, e) => fail(x.m!, e));
        }
      });
    } finally {
      for (const x of [tabletop as Board | null, ...boards]) await x?.s.close();
      for (const icm of icms.values()) icm.close();
    }

    const ref = tabletop as Board | null;
    const measured = boards.filter((x) => !failed(x.m!));
    if (!ref || !measured.length) throw new Error(`run_timing measured no module: ${log.summary()}`);
    const pmts = await analyse(ctx, p, dir, ref, measured, baselines, filters);
    await recordTimingResults(ctx, dir, pmts);
    return { folder: dir, blocks: p.n_blocks, events: p.n_events, filters, pmts, failures };
  },
} satisfies TaskKind<P>;

async function writeTabletop(ctx: TaskContext, p: Q, dir: string, ref: Board): Promise<void> {
  await writeHdf5(path.join(dir, 'tabletop.hdf5'), {
    attrs: {
      board: 'tabletop',
      address: ctx.ws.station.tabletop.address,
      threshold_adc: [...ref.thresholdsAdc],
      laser_hz: TIMING.laserHz,
      blocks: p.n_blocks,
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      channel: { data: Uint8Array.from(ref.channel), attrs: { units: '0 = the laser sync' } },
      timestamp_ticks: { data: Float64Array.from(ref.ticks), attrs: { units: '240 MHz FPGA clock ticks' } },
      block: { data: Int32Array.from(ref.block), attrs: { units: 'block number (one RapCal pair each)' } },
      hub_time_s: { data: Float64Array.from(ref.hubS), attrs: { units: "s of the field hubs' GPS-disciplined clock (RapCal)" } },
      rapcal_epsilon: {
        data: Float64Array.from(ref.pairs, (x) => x.epsilon),
        attrs: { units: 'hub interval / ICM interval - 1, per block' },
      },
    },
  });
}

/** one PMT's stamps (indices into the board's) and their differences to the tabletop's sync, block by block */
function pmtDifferences(p: Q, b: Board, ch: 0 | 1, syncByBlock: Float64Array[]): { idx: number[]; dt: Float64Array } {
  const idx = b.channel.flatMap((c, i) => (c === ch ? [i] : []));
  const dt = new Float64Array(idx.length);
  for (let block = 0; block < p.n_blocks; block++) {
    const at = idx.flatMap((i, k) => (b.block[i] === block ? [k] : []));
    const d = shotDifferencesNs(
      syncByBlock[block],
      1 / TIMING.laserHz,
      Float64Array.from(at, (k) => b.hubS[idx[k]]),
    );
    at.forEach((k, j) => (dt[k] = d[j]));
  }
  return { idx, dt };
}

/** what is known of one PMT once its differences are in */
interface PmtCalc {
  b: Board;
  ch: 0 | 1;
  pmt: PmtName;
  pmtSerial: string;
  idx: number[];
  dt: Float64Array;
  spread: TimingSpread;
  baselineAdc: number;
  hvVolts: number;
  thresholdAdc: number;
  cableDelayNs: number;
  clockDriftPpm: number;
  file: string;
}

async function writePmtTiming(ctx: TaskContext, p: Q, filters: [number, number], c: PmtCalc): Promise<void> {
  const { b, idx, spread } = c;
  const m = b.m!;
  await writeHdf5(c.file, {
    attrs: {
      ...pmtFileAttrs(m, c.pmt, c.pmtSerial),
      channel: c.ch,
      hv_volts: c.hvVolts,
      dac: TIMING.dac,
      baseline_adc: c.baselineAdc,
      threshold_adc: c.thresholdAdc,
      laser_hz: TIMING.laserHz,
      filter_wheel_0: filters[0],
      filter_wheel_1: filters[1],
      blocks: p.n_blocks,
      events_per_block: p.n_events,
      offset_ns: spread.offsetNs,
      spe_time_resolution_ns: spread.speTimeResolutionNs,
      pmt_timing_resolution_ns: spread.pmtTimingResolutionNs,
      cable_delay_ns: c.cableDelayNs,
      clock_drift_ppm: c.clockDriftPpm,
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      timestamp_ticks: { data: Float64Array.from(idx, (i) => b.ticks[i]), attrs: { units: '240 MHz FPGA clock ticks' } },
      charge_pc: { data: Float64Array.from(idx, (i) => b.chargePc[i]), attrs: { units: 'pC' } },
      block: { data: Int32Array.from(idx, (i) => b.block[i]), attrs: { units: 'block number (one RapCal pair each)' } },
      hub_time_s: {
        data: Float64Array.from(idx, (i) => b.hubS[i]),
        attrs: { units: "s of the field hubs' GPS-disciplined clock (RapCal)" },
      },
      delta_t_ns: { data: c.dt, attrs: { units: 'ns to the tabletop sync stamp of the same laser shot; NaN where it has none' } },
      rapcal_epsilon: {
        data: Float64Array.from(b.pairs, (x) => x.epsilon),
        attrs: { units: 'hub interval / ICM interval - 1, per block' },
      },
      rapcal_cable_delay_ns: {
        data: Float64Array.from(b.pairs.flatMap((x) => x.cableDelaysS.map((s) => s * 1e9))),
        shape: [b.pairs.length, 2],
        attrs: { units: 'ns, one-way, from each exchange of the block' },
      },
    },
  });
}

async function addTimingEntry(ctx: TaskContext, p: Q, dir: string, c: PmtCalc): Promise<string> {
  const { spread } = c;
  return ctx.record.entry(
    c.b.m!.jsonFile,
    'TransitTimeSpread',
    {
      Folder: dir,
      Filepath: dir,
      Comment: p.comment,
      Filter: p.f_strength,
      LaserFreq: TIMING.laserHz,
      EventsPerBlock: p.n_events,
      NumBlocks: p.n_blocks,
      Ignored: 'False',
      Method: 'charge_stamp',
      Threshold: c.thresholdAdc,
      Baseline: c.baselineAdc,
      HV: c.hvVolts,
      OffsetNs: spread.offsetNs,
      SpeTimeResolutionNs: spread.speTimeResolutionNs,
      PmtTimingResolutionNs: spread.pmtTimingResolutionNs,
      Events: spread.events,
      CableDelayNs: c.cableDelayNs,
      ClockDriftPpm: c.clockDriftPpm,
      Filename: c.file,
      TaskId: ctx.task.id,
    },
    c.pmt,
  );
}

function warnNoLaser(ctx: TaskContext, c: PmtCalc): void {
  const { spread, idx, pmt } = c;
  const m = c.b.m!;
  const covered = spread.events + spread.outside;
  if (!Number.isFinite(spread.offsetNs))
    ctx.emit({
      level: 'warn',
      kind: 'measure.timing.no-laser',
      message:
        `run_timing: ${m.serial} (port ${m.port}) ${pmt}: only ${spread.events} of its ${idx.length} stamps are the laser's ` +
        `(${covered} fall on shots the tabletop recorded): no offset or resolution; ` +
        (covered < idx.length / 4
          ? "the tabletop's recording missed this module's: run it again"
          : 'check the fibre to this PMT and its HV'),
      audience: 'channel',
      data: { port: m.port, pmt },
    });
}

/** one PMT: its differences, the file, the entry, a warning where the laser was not seen */
async function analysePmt(
  ctx: TaskContext,
  p: Q,
  dir: string,
  b: Board,
  ch: 0 | 1,
  syncByBlock: Float64Array[],
  baselines: Baselines,
  filters: [number, number],
): Promise<PmtTiming> {
  const m = b.m!;
  const cableDelayNs = 1e9 * mean(b.pairs.flatMap((x) => x.cableDelaysS));
  // hub interval = (1 + epsilon) x ICM interval: the ICM runs fast by 1 / (1 + epsilon) - 1
  const clockDriftPpm = 1e6 * mean(b.pairs.map((x) => 1 / (1 + x.epsilon) - 1));
  const pmt = PMTS[ch];
  const { idx, dt } = pmtDifferences(p, b, ch, syncByBlock);
  const spread = timingSpread(dt);
  const { baselineAdc, hvVolts } = baselines.get(`${m.port}/${ch}`)!;
  const pmtSerial = await pmtSerialOf(ctx.ws, m, pmt);
  const thresholdAdc = b.thresholdsAdc[ch];
  const file = path.join(dir, `${pmtSerial}.hdf5`);
  const c: PmtCalc = { b, ch, pmt, pmtSerial, idx, dt, spread, baselineAdc, hvVolts, thresholdAdc, cableDelayNs, clockDriftPpm, file };
  await writePmtTiming(ctx, p, filters, c);
  const key = await addTimingEntry(ctx, p, dir, c);
  warnNoLaser(ctx, c);
  return {
    ...spread,
    ...pmtIdentity(m, pmt, pmtSerial),
    hvVolts,
    baselineAdc,
    thresholdAdc,
    cableDelayNs,
    clockDriftPpm,
    stamps: idx.length,
    file,
    key,
  };
}

/** Per PMT: the differences to the tabletop's sync, block by block; the file, the entry, a warning where the laser was not seen. */
async function analyse(
  ctx: TaskContext,
  p: Q,
  dir: string,
  ref: Board,
  boards: Board[],
  baselines: Baselines,
  filters: [number, number],
): Promise<PmtTiming[]> {
  const sync = (block: number) => Float64Array.from(ref.hubS.filter((_, i) => ref.block[i] === block && ref.channel[i] === 0)).sort();
  const syncByBlock = Array.from({ length: p.n_blocks }, (_, b) => sync(b));
  await writeTabletop(ctx, p, dir, ref);
  const out: PmtTiming[] = [];
  for (const b of boards) for (const ch of [0, 1] as const) out.push(await analysePmt(ctx, p, dir, b, ch, syncByBlock, baselines, filters));
  return out;
}

import path from 'node:path';
import { analyseScaler, type TriggerType } from '../analysis/dark-rate.js';
import { readDoc, type DocStore } from '../records/json-docs.js';
import { readHdf5 } from '../store/hdf5.js';
import { analyseGainOfRun, gainAnalysisSummary, isScan } from './gain-analysis.js';
import { describeNumber, pickEntry, type EntryNumber } from './measurement-entries.js';
import { pmtSection, pmtSerialOf, PMTS, type PmtName } from './pmt-json.js';
import { darkRateGoalpost } from './scaler-windows.js';
import type { ActiveModule, TaskContext } from './types.js';
import { resultRow } from './result-rows.js';
import { sampleRows } from '../records/samples.js';

/**
 * The analysis jobs behind `trigger_remote_wrapper`. The original copied the data to a remote
 * server and started its analysis there; icefat runs the analysis itself over the recorded data,
 * in process, one function per analysis name, so that a later issue can hand the same functions to
 * pg-boss workers (`fat worker`). A job never waits on a network and never does nothing silently:
 * when the run has no data of its kind, the result says so.
 */
export const ANALYSES = [
  'darkrate',
  'double_pulse',
  'flasher_chargestamp',
  'gain',
  'linearity',
  'quick_monitoring',
  'detailed_monitoring',
  'gainscan_monitoring',
  'reboot_monitoring',
  'spe',
  'tts',
  'dt',
] as const;
export type AnalysisName = (typeof ANALYSES)[number];

export interface AnalysisJobResult {
  analysis: AnalysisName;
  /** analysed: icefat re-analysed the raw data now; recorded: the measurement judged its own
   * results when it ran (listed here); nothing-to-analyse: the run has no data of this kind */
  status: 'analysed' | 'recorded' | 'nothing-to-analyse';
  message: string;
  /** PMTs or modules that could not be analysed */
  problems: string[];
  detail: Record<string, unknown>;
}

export type AnalysisJob = (ctx: TaskContext, number: EntryNumber) => Promise<AnalysisJobResult>;

const where = (m: ActiveModule, pmt?: PmtName) => `${m.serial} (port ${m.port})${pmt ? ` ${pmt}` : ''}`;

// ---------------------------------------------------------------- gain

const gainJob: AnalysisJob = async (ctx, number) => {
  let has = false;
  for (const m of ctx.modules)
    for (const pmt of PMTS) has ||= Boolean(pickEntry(await pmtSection(ctx.ws, m.jsonFile, pmt), 'GainMeasurement', number, isScan));
  if (!has)
    return nothing(
      'gain',
      `no GainMeasurement scan entry (${describeNumber(number)}) in the run's D-Egg files: measure_gain (mode scan) has not run`,
    );
  const r = await analyseGainOfRun(ctx, number, 'trigger_remote_wrapper', { replace: true });
  const ok = r.pmts.filter((x) => !x.problem);
  return {
    analysis: 'gain',
    status: 'analysed',
    message: `gain: ${ok.length} of ${ctx.modules.length * 2} PMTs have a valid HV at gain 1e7 from the recorded scan${r.failures.length ? `; ${r.failures.length} not: ${r.failures.map((f) => f.error).join('; ')}` : ''}`,
    problems: r.failures.map((f) => f.error),
    detail: { pmts: r.pmts.map(gainAnalysisSummary) },
  };
};

// ---------------------------------------------------------------- dark rate

interface DarkRatePmt {
  port: number;
  serial: string;
  pmt: PmtName;
  entry: string;
  file: string;
  trigger: TriggerType;
  temperatureC: number;
  meanHz: number;
  stdHz: number;
  medianHz: number;
  windows: number;
  /** the mean the measurement itself wrote into its entry */
  recordedMeanHz: number | null;
}

async function darkRateOfPmt(ws: DocStore, m: ActiveModule, pmt: PmtName, number: EntryNumber): Promise<DarkRatePmt | null> {
  const found = pickEntry(await pmtSection(ws, m.jsonFile, pmt), 'DarkrateScalerMeasurement', number);
  if (!found) return null;
  const e = found.entry;
  const file =
    typeof e.Filename === 'string' && e.Filename
      ? e.Filename
      : typeof e.Folder === 'string'
        ? path.join(e.Folder, `${await pmtSerialOf(ws, m, pmt)}.hdf5`)
        : '';
  if (!file) throw new Error(`${where(m, pmt)} ${found.key} names neither a Filename nor a Folder`);
  const h = await readHdf5(file);
  const counts = h.datasets.count?.value;
  if (!counts || !ArrayBuffer.isView(counts)) throw new Error(`${file} has no count dataset`);
  const periodUs = Number(h.attrs.period_us);
  const deadtime = Number(h.attrs.deadtime_cycles);
  const temperatureC = Number(h.attrs.mainboard_temp_c);
  if (!(periodUs > 0) || !(deadtime >= 0)) throw new Error(`${file}: period_us or deadtime_cycles missing`);
  const trigger: TriggerType = h.attrs.trigger === 'fir' ? 'fir' : 'adc';
  const a = analyseScaler(counts as unknown as ArrayLike<number>, periodUs / 1e6, deadtime);
  return {
    port: m.port,
    serial: m.serial,
    pmt,
    entry: found.key,
    file,
    trigger,
    temperatureC,
    meanHz: a.meanHz,
    stdHz: a.stdHz,
    medianHz: a.medianHz,
    windows: a.windows,
    recordedMeanHz: typeof e.DarkRateMeanHz === 'number' ? e.DarkRateMeanHz : null,
  };
}

/** Re-judges the chosen DarkrateScalerMeasurement of every PMT from its HDF5 scaler series. */
const darkrateJob: AnalysisJob = async (ctx, number) => {
  const pmts: DarkRatePmt[] = [];
  const problems: string[] = [];
  let missing = 0;
  for (const m of ctx.modules)
    for (const pmt of PMTS) {
      ctx.signal.throwIfAborted();
      try {
        const r = await darkRateOfPmt(ctx.ws, m, pmt, number);
        if (r) pmts.push(r);
        else missing++;
      } catch (e) {
        problems.push(`${where(m, pmt)}: ${(e as Error).message}`);
      }
    }
  if (!pmts.length && !problems.length)
    return nothing(
      'darkrate',
      `no DarkrateScalerMeasurement entry (${describeNumber(number)}) in the run's D-Egg files: measure_scaler has not run`,
    );
  if (missing) problems.push(`${missing} PMT(s) have no DarkrateScalerMeasurement entry (${describeNumber(number)})`);
  const recorded = await ctx.record.results(
    'trigger_remote_wrapper',
    pmts.length ? path.dirname(pmts[0].file) : null,
    pmts.map((x) =>
      resultRow(x, darkRateGoalpost(x.trigger, x.temperatureC), {
        value: x.meanHz,
        detail: { stdHz: x.stdHz, medianHz: x.medianHz, windows: x.windows, temperatureC: x.temperatureC, entry: x.entry, file: x.file },
      }),
    ),
    { replace: true },
  );
  const count = (v: string) => recorded.filter((r) => r.verdict === v).length;
  return {
    analysis: 'darkrate',
    status: 'analysed',
    message: `darkrate: ${pmts.length} PMTs re-analysed from their scaler series: ${count('pass')} pass, ${count('marginal')} marginal, ${count('fail')} fail${problems.length ? `; ${problems.length} problem(s): ${problems.join('; ')}` : ''}`,
    problems,
    detail: {
      pmts: pmts.map((x, i) => ({ ...x, verdict: recorded[i].verdict, reason: recorded[i].reason })),
    },
  };
};

// ---------------------------------------------------------------- analyses done by the measurement itself

interface RecordedSpec {
  /** the D-Egg JSON entries the measurement writes, and where */
  entries: Array<{ name: string; at: 'pmt' | 'top' }>;
  /** the task kinds that write them and record their results */
  kinds: string[];
}

/**
 * Analyses whose measurement judges its own data when it runs (icefat analyses in the task, the
 * original only later and remotely): the job finds the entries and lists the results recorded
 * for them, or says that there is nothing.
 */
const RECORDED: Record<Exclude<AnalysisName, 'gain' | 'darkrate'>, RecordedSpec> = {
  linearity: { entries: [{ name: 'LinearityMeasurement', at: 'pmt' }], kinds: ['measure_linearity'] },
  double_pulse: {
    entries: [
      { name: 'DoublePulse', at: 'pmt' },
      { name: 'BurstPulse', at: 'pmt' },
    ],
    kinds: ['measure_pulsed_waveform'],
  },
  flasher_chargestamp: { entries: [{ name: 'FlasherCheck', at: 'pmt' }], kinds: ['measure_baseline_flasher'] },
  spe: {
    entries: [
      { name: 'SpeMeasurement', at: 'pmt' },
      { name: 'DeltaTMeasurement', at: 'pmt' },
    ],
    kinds: ['measure_spe'],
  },
  dt: { entries: [{ name: 'DeltaTMeasurement', at: 'pmt' }], kinds: ['measure_spe'] },
  tts: { entries: [{ name: 'TransitTimeSpread', at: 'pmt' }], kinds: ['run_timing'] },
  quick_monitoring: { entries: [{ name: 'OnlineMon', at: 'top' }], kinds: ['online_mon'] },
  detailed_monitoring: { entries: [{ name: 'AdvancedMonitoring', at: 'pmt' }], kinds: ['constant_monitor'] },
  gainscan_monitoring: { entries: [{ name: 'DarkrateTemperature', at: 'pmt' }], kinds: ['slowmon'] },
  reboot_monitoring: {
    entries: [
      { name: 'RebootMonitoring', at: 'top' },
      { name: 'ColdBoot', at: 'top' },
    ],
    kinds: ['bootmon'],
  },
};

function recordedJob(analysis: keyof typeof RECORDED): AnalysisJob {
  const spec = RECORDED[analysis];
  const names = spec.entries.map((e) => `${e.name}_NN`).join(' or ');
  return async (ctx, number) => {
    const found: Array<{ where: string; key: string; skipped: string | null }> = [];
    for (const m of ctx.modules) {
      const doc = await readDoc(ctx.ws, m.jsonFile);
      for (const e of spec.entries) {
        const places: Array<[string, Record<string, unknown>]> =
          e.at === 'top' ? [[where(m), doc]] : PMTS.map((pmt) => [where(m, pmt), (doc[pmt] ?? {}) as Record<string, unknown>]);
        for (const [w, container] of places) {
          const f = pickEntry(container, e.name, number);
          if (f) found.push({ where: w, key: f.key, skipped: typeof f.entry.Skipped === 'string' ? f.entry.Skipped : null });
        }
      }
    }
    if (!found.length)
      return nothing(
        analysis,
        `no ${names} entry (${describeNumber(number)}) in the run's D-Egg files: ${spec.kinds.join(' or ')} has not run in this run`,
      );
    const skipped = found.filter((f) => f.skipped);
    if (skipped.length === found.length)
      return nothing(
        analysis,
        `every ${names} entry of the run records a skipped measurement: ${[...new Set(skipped.map((s) => s.skipped))].join('; ')}`,
        {
          entries: found,
        },
      );
    // counted in the store, not copied into the task's result: the rows are the run's whole
    // history of these kinds (quick monitoring repeats 221 times in a standard FAT, so copies
    // grew to 1 MB per result and hundreds of MB per run; `fat results` lists them)
    const byVerdict = await ctx.ws.db
      .selectFrom('results')
      .select(['verdict', (eb) => eb.fn.countAll<number>().as('n')])
      .where('run_id', '=', ctx.run.id)
      .where('kind', 'in', spec.kinds)
      .groupBy('verdict')
      .execute();
    const tally = new Map<string, number>(byVerdict.map((r) => [r.verdict, Number(r.n)]));
    for (const x of await sampleRows(ctx.ws.db, { runId: ctx.run.id, kinds: spec.kinds }))
      tally.set(x.verdict, (tally.get(x.verdict) ?? 0) + 1);
    const count = (v: string) => tally.get(v) ?? 0;
    const total = [...tally.values()].reduce((t, n) => t + n, 0);
    const counts = { pass: count('pass'), marginal: count('marginal'), fail: count('fail'), info: count('info') };
    return {
      analysis,
      status: 'recorded',
      message: total
        ? `${analysis}: ${found.length} ${names} entries; ${spec.kinds.join('/')} judged its data when it ran: ${counts.pass} pass, ${counts.marginal} marginal, ${counts.fail} fail, ${counts.info} info (see \`fat results\`)`
        : `${analysis}: ${found.length} ${names} entries but no recorded results of ${spec.kinds.join('/')} in this run: icefat has no separate analysis of this data`,
      problems: total ? [] : [`no results of ${spec.kinds.join('/')} recorded in run ${ctx.run.number}`],
      detail: { entries: found, counts },
    };
  };
}

function nothing(analysis: AnalysisName, why: string, detail: Record<string, unknown> = {}): AnalysisJobResult {
  return { analysis, status: 'nothing-to-analyse', message: `${analysis}: nothing to analyse: ${why}`, problems: [], detail };
}

/** One job per analysis name of the original's remote_analysis_wrapper. */
export const ANALYSIS_JOBS: Record<AnalysisName, AnalysisJob> = {
  gain: gainJob,
  darkrate: darkrateJob,
  linearity: recordedJob('linearity'),
  double_pulse: recordedJob('double_pulse'),
  flasher_chargestamp: recordedJob('flasher_chargestamp'),
  spe: recordedJob('spe'),
  dt: recordedJob('dt'),
  tts: recordedJob('tts'),
  quick_monitoring: recordedJob('quick_monitoring'),
  detailed_monitoring: recordedJob('detailed_monitoring'),
  gainscan_monitoring: recordedJob('gainscan_monitoring'),
  reboot_monitoring: recordedJob('reboot_monitoring'),
};

export function runAnalysisJob(ctx: TaskContext, analysis: AnalysisName, number: EntryNumber): Promise<AnalysisJobResult> {
  return ANALYSIS_JOBS[analysis](ctx, number);
}

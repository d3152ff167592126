import fs from 'node:fs';
import path from 'node:path';
import { analyseGainScan, type GainPointData, type GainScanAnalysis } from '../analysis/gain-offline.js';
import { type DocStore } from '../records/json-docs.js';
import { readHdf5 } from '../store/hdf5.js';
import { GAIN, GAIN_QUANTITY } from './gain-acquire.js';
import { describeNumber, pickEntry, type EntryNumber } from './measurement-entries.js';
import { pmtSection, pmtSerialOf, PMTS, where, type PmtName, type PmtIdentity } from './pmt-json.js';
import type { TaskRecord } from '../records/task-record.js';
import type { ActiveModule, TaskContext } from './types.js';
import { resultRow } from './result-rows.js';

/**
 * The offline gain analysis over a recorded gain scan (analyze_gain.analysis_wrapper): reads the
 * scan's `<PMT>_<HV>V.hdf5` files from the Folder of a GainMeasurement entry, fits them again
 * (analysis/gain-offline.ts) and writes HV1e7Gain, the power law and the SPE peak height into the
 * entry and the PMT section, as the original did. Used by analysis_wrapper and by the gain job of
 * trigger_remote_wrapper.
 */
export interface PmtGainAnalysis extends PmtIdentity {
  key: string;
  folder: string;
  files: number;
  analysis: GainScanAnalysis;
  /** why the result is not usable (outside the original's windows); null when it is */
  problem: string | null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function asFloat64(v: unknown, what: string): Float64Array {
  if (v instanceof Float64Array) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return Float64Array.from(v as number[]);
  throw new Error(`${what} is not a numeric dataset`);
}

/** The points of one PMT's scan from its files in `folder`. */
async function readScan(folder: string, pmtSerial: string, m: ActiveModule, pmt: PmtName): Promise<GainPointData[]> {
  if (!fs.existsSync(folder)) throw new Error(`the scan's folder ${folder} does not exist (moved or deleted?)`);
  const re = new RegExp(`^${escapeRe(pmtSerial)}_(\\d+(?:\\.\\d+)?)V\\.hdf5$`);
  const files = fs
    .readdirSync(folder)
    .filter((f) => re.test(f))
    .sort();
  if (!files.length) throw new Error(`no ${pmtSerial}_<HV>V.hdf5 file in ${folder}`);
  const out: GainPointData[] = [];
  for (const f of files) {
    const file = path.join(folder, f);
    const h = await readHdf5(file);
    if (h.attrs.degg !== undefined && h.attrs.degg !== m.serial)
      throw new Error(`${file} belongs to D-Egg ${JSON.stringify(h.attrs.degg)}, not ${m.serial}`);
    if (h.attrs.pmt !== undefined && h.attrs.pmt !== pmt) throw new Error(`${file} belongs to ${JSON.stringify(h.attrs.pmt)}, not ${pmt}`);
    const hv = Number(h.attrs.hv_volts ?? re.exec(f)![1]);
    const charge = h.datasets.charge_pc;
    if (!charge) throw new Error(`${file} has no charge_pc dataset`);
    const amp = h.datasets.amplitude_adc;
    out.push({
      hvVolts: hv,
      chargesPc: asFloat64(charge.value, `${file} charge_pc`),
      amplitudesAdc: amp ? asFloat64(amp.value, `${file} amplitude_adc`) : new Float64Array(0),
    });
  }
  return out;
}

/** A GainMeasurement of the HV scan (the original's mode 'scan'; a check measures one HV only). */
export const isScan = (e: Record<string, unknown>) => e.mode === undefined || e.mode === 'scan';

/** Analyses one PMT's GainMeasurement entry chosen by `number`; throws with the PMT named when it cannot. */
export async function analysePmtGain(ws: DocStore, m: ActiveModule, pmt: PmtName, number: EntryNumber): Promise<PmtGainAnalysis> {
  const found = pickEntry(await pmtSection(ws, m.jsonFile, pmt), 'GainMeasurement', number, isScan);
  if (!found)
    throw new Error(
      `${where(m, pmt)}: ${m.jsonFile} has no GainMeasurement scan entry (${describeNumber(number)}): run measure_gain first`,
    );
  if (!isScan(found.entry))
    throw new Error(
      `${where(m, pmt)}: ${found.key} is a gain check (mode ${JSON.stringify(found.entry.mode)}), not a scan: there is no V(1e7) to fit`,
    );
  const folder = found.entry.Folder;
  if (typeof folder !== 'string' || !folder || folder === 'None')
    throw new Error(`${where(m, pmt)}: ${found.key} has no data folder (the scan did not finish)`);
  const pmtSerial = await pmtSerialOf(ws, m, pmt);
  let analysis: GainScanAnalysis;
  let files: number;
  try {
    const points = await readScan(folder, pmtSerial, m, pmt);
    files = points.length;
    analysis = analyseGainScan(points, GAIN.pulseAreaSamplesPerPeak);
  } catch (e) {
    throw new Error(`${where(m, pmt)} ${found.key}: ${(e as Error).message}`, { cause: e });
  }
  const hv = analysis.hvAt1e7Volts;
  const height = analysis.spePeakHeight.volts;
  const [hvLo, hvHi] = GAIN.hv1e7RangeVolts;
  const [hLo, hHi] = GAIN.spePeakHeightRangeVolts;
  const problem = !(hv >= hvLo && hv <= hvHi)
    ? `V(1e7) = ${hv.toFixed(1)} V is outside ${hvLo}-${hvHi} V (should be around ~1500 V)`
    : !(height >= hLo && height <= hHi)
      ? `SPE peak height ${height.toExponential(3)} V is outside ${hLo}-${hHi} V (should be around 0.003 V)`
      : null;
  return { port: m.port, serial: m.serial, pmt, pmtSerial, key: found.key, folder, files, analysis, problem };
}

/** Writes a usable result into the entry and the PMT section (HV1e7Gain, SPEPeakHeight), as the original. */
export async function writeGainAnalysis(
  record: TaskRecord,
  m: ActiveModule,
  r: PmtGainAnalysis,
  by: { kind: string; taskId: number; timeIso: string },
): Promise<void> {
  const a = r.analysis;
  await record.update(m.jsonFile, (doc) => {
    const sec = (doc[r.pmt] ?? {}) as Record<string, unknown>;
    const entry = (sec[r.key] ?? {}) as Record<string, unknown>;
    Object.assign(entry, {
      HV1e7Gain: a.hvAt1e7Volts,
      HV1e7GainError: a.hvAt1e7ErrorVolts,
      GainFitNorm: a.fit.normA,
      GainFitNormError: a.fit.normAError,
      GainFitExp: a.fit.exponent,
      GainFitExpError: a.fit.exponentError,
      SPEPeakHeight: a.spePeakHeight.volts,
      SPEPeakHeightMethod: a.spePeakHeight.method,
      Analysis: {
        By: by.kind,
        TaskId: by.taskId,
        Time: by.timeIso,
        Points: a.points.length,
        RejectedPoints: a.rejected,
        HVMethod: a.hvMethod,
      },
    });
    sec[r.key] = entry;
    sec.HV1e7Gain = a.hvAt1e7Volts;
    sec.SPEPeakHeight = a.spePeakHeight.volts;
    doc[r.pmt] = sec;
  });
}

export interface GainAnalysisRun {
  pmts: PmtGainAnalysis[];
  /** PMTs that could not be analysed at all, or whose result is outside the windows */
  failures: Array<{ port: number; serial: string; pmt: PmtName; error: string }>;
}

/**
 * Every PMT of the active modules: analyse, write the usable results, record the results of all
 * that could be fitted (a value outside the goalposts is judged a fail there too).
 */
export async function analyseGainOfRun(
  ctx: TaskContext,
  number: EntryNumber,
  kind: string,
  /** replace the task's earlier results (see ResultOrigin.replace) */
  opts: { replace?: boolean } = {},
): Promise<GainAnalysisRun> {
  const pmts: PmtGainAnalysis[] = [];
  const failures: GainAnalysisRun['failures'] = [];
  const total = ctx.modules.length * 2;
  let done = 0;
  for (const m of ctx.modules) {
    for (const pmt of PMTS) {
      ctx.signal.throwIfAborted();
      try {
        const r = await analysePmtGain(ctx.ws, m, pmt, number);
        pmts.push(r);
        if (r.problem) failures.push({ port: m.port, serial: m.serial, pmt, error: `${where(m, pmt)} ${r.key}: ${r.problem}` });
        else await writeGainAnalysis(ctx.record, m, r, { kind, taskId: ctx.task.id, timeIso: new Date(ctx.ws.clock.now()).toISOString() });
        ctx.progress(
          ++done / total,
          `${where(m, pmt)}: V(1e7) = ${r.analysis.hvAt1e7Volts.toFixed(1)} V from ${r.analysis.points.length} points, SPE peak ${(r.analysis.spePeakHeight.volts * 1e3).toFixed(2)} mV`,
        );
      } catch (e) {
        failures.push({ port: m.port, serial: m.serial, pmt, error: (e as Error).message });
        ctx.progress(++done / total, (e as Error).message);
      }
    }
  }
  const folders = [...new Set(pmts.map((r) => r.folder))];
  await ctx.record.results(
    kind,
    folders.length === 1 ? folders[0] : null,
    pmts.flatMap((r) => {
      const a = r.analysis;
      return [
        resultRow(r, GAIN_QUANTITY.hv1e7, {
          value: a.hvAt1e7Volts,
          detail: { error: a.hvAt1e7ErrorVolts, points: a.points.length, method: a.hvMethod, entry: r.key, folder: r.folder },
        }),
        resultRow(r, GAIN_QUANTITY.speHeight, {
          value: a.spePeakHeight.volts * 1e3,
          detail: { method: a.spePeakHeight.method, entry: r.key },
        }),
        resultRow(r, GAIN_QUANTITY.fitExponent, {
          value: a.fit.exponent,
          detail: { error: a.fit.exponentError, normA: a.fit.normA, entry: r.key },
        }),
      ];
    }),
    { replace: opts.replace },
  );
  return { pmts, failures };
}

/** The JSON summary of one analysed PMT (for task results and `--json`). */
export function gainAnalysisSummary(r: PmtGainAnalysis) {
  const a = r.analysis;
  return {
    port: r.port,
    serial: r.serial,
    pmt: r.pmt,
    pmtSerial: r.pmtSerial,
    entry: r.key,
    folder: r.folder,
    hv1e7GainVolts: a.hvAt1e7Volts,
    hv1e7GainErrorVolts: a.hvAt1e7ErrorVolts,
    gainFitNorm: a.fit.normA,
    gainFitExp: a.fit.exponent,
    spePeakHeightVolts: a.spePeakHeight.volts,
    spePeakHeightMethod: a.spePeakHeight.method,
    points: a.points.length,
    rejectedPoints: a.rejected,
    problem: r.problem,
  };
}

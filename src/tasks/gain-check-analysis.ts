import fs from 'node:fs';
import path from 'node:path';
import { fitSpe } from '../analysis/gaussian-fit.js';
import { readHdf5 } from '../store/hdf5.js';
import { describeNumber, pickEntry, type EntryNumber } from './measurement-entries.js';
import { pmtSection, PMTS, where } from './pmt-json.js';
import type { TaskContext } from './types.js';
import { resultRow } from './result-rows.js';
import { GAIN_QUANTITY } from './gain-acquire.js';

/**
 * `analysis_wrapper` with mode `gain_check`: the gain at the set HV re-derived from the files of a
 * `measure_gain` check (GainMeasurement entries with mode "check"): each check's SPE charges are
 * fitted again and recorded as `gain.check`, judged by the goalposts. A PMT whose check entry or
 * files are missing, or whose fit does not converge, is named.
 */
export interface GainCheckAnalysis {
  port: number;
  serial: string;
  pmt: string;
  key: string;
  hvVolts: number;
  gains: number[];
}

const isCheck = (e: Record<string, unknown>) => e.mode === 'check';

function checkFiles(entry: Record<string, unknown>, where: string): string[] {
  const folder = entry.Folder;
  if (typeof folder !== 'string' || !folder || !fs.existsSync(folder))
    throw new Error(`${where}: the check's folder ${String(folder)} does not exist`);
  const points = Array.isArray(entry.points) ? (entry.points as Array<{ file?: unknown }>) : [];
  const files = points.map((p) => p.file).filter((f): f is string => typeof f === 'string');
  if (!files.length) throw new Error(`${where}: the entry names no check files`);
  return files.map((f) => path.join(folder, f));
}

export async function analyseGainChecks(ctx: TaskContext, number: EntryNumber, kind: string) {
  const pmts: GainCheckAnalysis[] = [];
  const failures: Array<{ port: number; serial: string; pmt: string; error: string }> = [];
  let done = 0;
  for (const m of ctx.modules) {
    for (const pmt of PMTS) {
      ctx.signal.throwIfAborted();
      const at = where(m, pmt);
      try {
        const found = pickEntry(await pmtSection(ctx.ws, m.jsonFile, pmt), 'GainMeasurement', number, isCheck);
        if (!found || !isCheck(found.entry))
          throw new Error(`${at}: no GainMeasurement check entry (${describeNumber(number)}): run measure_gain with mode = check first`);
        const gains: number[] = [];
        for (const file of checkFiles(found.entry, `${at} ${found.key}`)) {
          const charges = (await readHdf5(file)).datasets.charge_pc?.value;
          if (!(charges instanceof Float64Array)) throw new Error(`${at}: ${file} has no charge_pc dataset`);
          const spe = fitSpe(charges);
          if (!spe.fit.converged) throw new Error(`${at}: the SPE fit of ${file} did not converge`);
          gains.push(spe.gain);
        }
        pmts.push({ port: m.port, serial: m.serial, pmt, key: found.key, hvVolts: Number(found.entry.HV), gains });
      } catch (e) {
        failures.push({ port: m.port, serial: m.serial, pmt, error: (e as Error).message });
      }
      ctx.progress(++done / (ctx.modules.length * 2), at);
    }
  }
  await ctx.record.results(
    kind,
    null,
    pmts.flatMap((r) =>
      r.gains.map((g, i) =>
        resultRow(r, GAIN_QUANTITY.check, { value: g, detail: { check: i, hvVolts: r.hvVolts, entry: r.key, analysis: 'gain_check' } }),
      ),
    ),
  );
  return { pmts, failures };
}

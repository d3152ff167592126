import path from 'node:path';
import { histogram } from '../analysis/histogram.js';
import { peekDoc, type DocStore } from '../records/json-docs.js';
import { readHdf5 } from '../store/hdf5.js';
import type { SpeHistogram } from '../records/api-types.js';
import { PMTS } from './report-data.js';

/**
 * The SPE charge histogram of each PMT's latest gain scan, at its last HV point (the one nearest
 * gain 1e7): the charges (`charge_pc`) of that point's HDF5 file, named in the D-Egg JSON entry
 * (Folder and points[].file), binned in 80 bins as the scan's own fit did. A PMT whose file is
 * missing or unreadable gets a note instead.
 */
const BINS = 80;

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))];
}

export async function speHistograms(ws: DocStore, jsonFile: string): Promise<{ histograms: SpeHistogram[]; notes: string[] }> {
  const histograms: SpeHistogram[] = [];
  const notes: string[] = [];
  const doc = await peekDoc(ws, jsonFile);
  if (!doc) return { histograms, notes: [`no SPE histogram: the D-Egg file ${jsonFile} is missing`] };
  for (const pmt of PMTS) {
    const sec = (doc[pmt] ?? {}) as Record<string, unknown>;
    const key = Object.keys(sec)
      .filter((k) => /^GainMeasurement_\d\d$/.test(k))
      .sort()
      .reverse()
      .find((k) => Array.isArray((sec[k] as { points?: unknown }).points) && (sec[k] as { points: unknown[] }).points.length > 0);
    if (!key) {
      notes.push(`${pmt}: no gain scan yet`);
      continue;
    }
    const e = sec[key] as { Folder?: unknown; points: Array<{ hv?: unknown; file?: unknown }> };
    const last = e.points[e.points.length - 1];
    if (typeof e.Folder !== 'string' || typeof last.file !== 'string') {
      notes.push(`${pmt}: ${key} names no raw data file`);
      continue;
    }
    const file = path.join(e.Folder, path.basename(last.file));
    try {
      const h5 = await readHdf5(file);
      const raw = h5.datasets.charge_pc?.value;
      if (!raw || typeof raw !== 'object' || !('length' in raw)) throw new Error('no charge_pc dataset');
      const charges = Float64Array.from(raw as ArrayLike<number>);
      if (charges.length < 10) throw new Error(`only ${charges.length} charges`);
      const sorted = Float64Array.from(charges).sort();
      const lo = Math.min(-0.5, quantile(sorted, 0.005));
      const hi = Math.max(lo + 1, quantile(sorted, 0.995));
      const h = histogram(charges, BINS, lo, hi);
      histograms.push({
        pmt,
        entry: key,
        hvVolts: Number(last.hv),
        file,
        entries: charges.length,
        centresPc: Array.from(h.centres),
        counts: Array.from(h.counts),
      });
    } catch (err) {
      notes.push(`${pmt}: no SPE histogram from ${file}: ${(err as Error).message}`);
    }
  }
  return { histograms, notes };
}

import fs from 'node:fs';
import path from 'node:path';
import { diskFullOr } from '../util/disk-space.js';
import { readInThread, writeInThread } from './hdf5-thread.js';

/**
 * Raw data files in HDF5 (through h5wasm, the HDF5 C library compiled to WebAssembly), readable by
 * h5py and h5dump. A file is a tree of groups; each group has attributes (numbers and strings)
 * and datasets (typed arrays with a shape, or lists of strings). The layout of each measurement's
 * file is documented in docs/raw-data.md.
 *
 * Files are written under a temporary name and renamed, so a crash never leaves a half file
 * under the final name.
 */
export type H5Attr = number | string | number[];
export type H5Array = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array | BigInt64Array;

export interface H5Dataset {
  data: H5Array | string[];
  /** for multi-dimensional data (row-major); default: one dimension */
  shape?: number[];
  attrs?: Record<string, H5Attr>;
}

export interface H5Group {
  attrs?: Record<string, H5Attr>;
  datasets?: Record<string, H5Dataset>;
  groups?: Record<string, H5Group>;
}

/**
 * The group as the writer thread gets it: every shape checked against its data, and every typed
 * array that is a view into a larger buffer copied out (a message copies a view's whole buffer).
 */
function checked(g: H5Group): H5Group {
  const datasets: Record<string, H5Dataset> = {};
  for (const [k, d] of Object.entries(g.datasets ?? {})) {
    const length = d.data.length;
    const shape = d.shape ?? [length];
    if (shape.reduce((a, b) => a * b, 1) !== length)
      throw new Error(`HDF5 dataset ${k}: shape ${shape.join('x')} does not hold ${length} values`);
    const data = Array.isArray(d.data) || d.data.byteLength === d.data.buffer.byteLength ? d.data : d.data.slice();
    datasets[k] = { ...d, data };
  }
  const groups = Object.fromEntries(Object.entries(g.groups ?? {}).map(([k, sub]) => [k, checked(sub)]));
  return { attrs: g.attrs, datasets, groups };
}

/**
 * Writes `root` as the HDF5 file `file` (atomically), in the HDF5 thread (store/hdf5-thread.ts):
 * the event loop goes on serving the instruments meanwhile. Datasets longer than 4096 values are
 * gzipped in chunks of about 64k values.
 */
export async function writeHdf5(file: string, root: H5Group): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    await writeInThread(file, tmp, checked(root));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // h5wasm reports a full disk as anything but that (a null attribute, an HDF5 trace)
    throw diskFullOr(e, file, path.dirname(file));
  }
}

export interface ReadDataset {
  value: unknown;
  shape: number[];
  attrs: Record<string, unknown>;
}
export interface ReadGroup {
  attrs: Record<string, unknown>;
  datasets: Record<string, ReadDataset>;
  groups: Record<string, ReadGroup>;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Files written here (and by h5py) start with the HDF5 signature; a user block would move it, icefat writes none. */
function hasSignature(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    return fs.readSync(fd, head, 0, 8, 0) === 8 && head.equals(SIGNATURE);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole HDF5 file (for analyses over recorded data and for tests). */
export async function readHdf5(file: string): Promise<ReadGroup> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such HDF5 file`);
  if (!hasSignature(file)) throw new Error(`${file}: not an HDF5 file (no HDF5 signature at its start)`);
  return (await readInThread(file)) as ReadGroup;
}

import { Worker } from 'node:worker_threads';

/**
 * The HDF5 writes in a thread of their own. h5wasm lays out and gzips a file synchronously (a gain
 * scan point's file takes ~5 ms, a waveform file more), and the master's event loop is the one
 * that serves the instruments: a measurement task runs its modules in wire-pair lanes, and a write
 * done on the event loop held every other lane's iceboot replies until it ended. Here the event
 * loop only hands the data over (a copy of its typed arrays) and goes on; the writes are made one
 * after another, in the order given.
 *
 * The worker is plain JavaScript run from this text (as store/sqlite-checkpointer.ts's), so there is
 * no file to find next to compiled or TypeScript sources; it loads h5wasm from where this module
 * resolves it. It keeps the process alive only while a write is pending.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
let h5wasm;
const ready = import(workerData.h5wasmUrl).then((m) => {
  h5wasm = m.default;
  return h5wasm.ready;
});
function chunkOf(shape) {
  // chunks of about 64k values along the first dimension
  const row = shape.slice(1).reduce((a, b) => a * b, 1);
  return [Math.max(1, Math.min(shape[0], Math.floor(65536 / Math.max(1, row)))), ...shape.slice(1)];
}
function fill(node, g) {
  for (const [k, v] of Object.entries(g.attrs ?? {})) node.create_attribute(k, v);
  for (const [k, d] of Object.entries(g.datasets ?? {})) {
    const shape = d.shape ?? [d.data.length];
    const big = d.data.length > 4096 && !Array.isArray(d.data);
    const ds = node.create_dataset({ name: k, data: d.data, shape, ...(big ? { chunks: chunkOf(shape), compression: 'gzip', compression_opts: 4 } : {}) });
    for (const [ak, av] of Object.entries(d.attrs ?? {})) ds.create_attribute(ak, av);
  }
  for (const [k, sub] of Object.entries(g.groups ?? {})) fill(node.create_group(k), sub);
}
parentPort.on('message', async ({ id, file, tmp, root }) => {
  try {
    await ready;
    const f = new h5wasm.File(tmp, 'w');
    try {
      fill(f, root);
    } finally {
      f.close();
    }
    fs.renameSync(tmp, file);
    parentPort.postMessage({ id });
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    parentPort.postMessage({ id, error: { message: e instanceof Error ? e.message : String(e), code: e?.code } });
  }
});
`;

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Writer {
  worker: Worker;
  pending: Map<number, Pending>;
}

let writer: Writer | undefined;
let lastId = 0;

function startWriter(): Writer {
  const worker = new Worker(WORKER, { eval: true, workerData: { h5wasmUrl: import.meta.resolve('h5wasm/node') } });
  worker.unref();
  const w: Writer = { worker, pending: new Map() };
  worker.on('message', (m: { id: number; error?: { message: string; code?: string } }) => {
    const p = w.pending.get(m.id);
    w.pending.delete(m.id);
    if (!w.pending.size) worker.unref();
    if (!m.error) p?.resolve();
    else p?.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
  });
  // a thread that died fails what it had; the next write starts another
  const gone = (e: Error) => {
    if (writer === w) writer = undefined;
    for (const p of w.pending.values()) p.reject(e);
    w.pending.clear();
  };
  worker.on('error', gone);
  worker.on('exit', (code) => gone(new Error(`the HDF5 writer thread ended (exit code ${code})`)));
  return w;
}

/**
 * Writes `root` (an H5Group, store/hdf5.ts, its shapes checked) into `tmp` in the writer thread and renames it to `file` there; resolves once the
 * file is in place. A failure comes back as an Error with the thread's message (and `code`), the
 * temporary file removed.
 */
export function writeInThread(file: string, tmp: string, root: object): Promise<void> {
  const w = (writer ??= startWriter());
  const id = ++lastId;
  return new Promise<void>((resolve, reject) => {
    if (!w.pending.size) w.worker.ref();
    w.pending.set(id, { resolve, reject });
    w.worker.postMessage({ id, file, tmp, root });
  });
}

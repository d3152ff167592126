import { Worker } from 'node:worker_threads';

/**
 * HDF5 files are written and read in a thread of their own, the only place h5wasm is loaded in the
 * process (its WebAssembly memory is ~20 MB and never shrinks). h5wasm lays out and gzips a file
 * synchronously (a gain scan point's file takes ~5 ms, a waveform file more), and the master's
 * event loop is the one that serves the instruments: a measurement task runs its modules in
 * wire-pair lanes, and a write done on the event loop held every other lane's iceboot replies
 * until it ended. Here the event loop only hands the data over (a copy of its typed arrays) and
 * goes on; requests are served one after another, in the order given.
 *
 * The worker is plain JavaScript run from this text (as store/sqlite-checkpointer.ts's), so there is
 * no file to find next to compiled or TypeScript sources; it loads h5wasm from where this module
 * resolves it. It keeps the process alive only while a request is pending.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
let h5wasm;
let lib;
const ready = import(workerData.h5wasmUrl).then((m) => {
  lib = m;
  h5wasm = m.default;
  return h5wasm.ready;
});
// The typed arrays' memory of a request, handed back to the event loop with the reply (moved, not
// copied). This thread allocates next to nothing on its own heap, so V8 would collect the arrays
// it received only after some 64 MB of them had piled up; the event loop's thread collects young
// garbage many times a second. h5wasm's own memory stays here.
function buffersOf(x, out = new Set()) {
  if (ArrayBuffer.isView(x)) {
    if (x.buffer instanceof ArrayBuffer && x.buffer !== lib?.Module?.HEAPU8?.buffer) out.add(x.buffer);
  } else if (x && typeof x === 'object') for (const v of Object.values(x)) buffersOf(v, out);
  return out;
}
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
function readNode(node) {
  const out = { attrs: {}, datasets: {}, groups: {} };
  for (const [k, a] of Object.entries(node.attrs)) out.attrs[k] = a.value;
  for (const k of node.keys()) {
    const e = node.get(k);
    if (e instanceof h5wasm.Group) out.groups[k] = readNode(e);
    else if (e instanceof h5wasm.Dataset) {
      const attrs = {};
      for (const [ak, a] of Object.entries(e.attrs)) attrs[ak] = a.value;
      out.datasets[k] = { value: e.value, shape: e.shape ?? [], attrs };
    }
  }
  return out;
}
function write({ file, tmp, root }) {
  try {
    const f = new h5wasm.File(tmp, 'w');
    try {
      fill(f, root);
    } finally {
      f.close();
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
function read({ file }) {
  let f;
  try {
    f = new h5wasm.File(file, 'r');
    return readNode(f);
  } catch (e) {
    // h5wasm opens a damaged file without a word and fails at its first attribute
    throw new Error(file + ': cannot be read as HDF5 (' + (e instanceof Error ? e.message : String(e)) + ')');
  } finally {
    try {
      f?.close();
    } catch {
      // a file that did not open has nothing to close
    }
  }
}
parentPort.on('message', async (m) => {
  try {
    await ready;
    const value = m.op === 'read' ? read(m) : write(m);
    const release = [...buffersOf(m.op === 'read' ? value : m.root)];
    parentPort.postMessage({ id: m.id, value, release }, release);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e instanceof Error ? e.message : String(e), code: e?.code } });
  }
});
`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** the thread's young generation (V8's default is sized for a busy main thread) */
const YOUNG_GENERATION_MB = 4;

let thread: Thread | undefined;
let lastId = 0;

function startThread(): Thread {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { h5wasmUrl: import.meta.resolve('h5wasm/node') },
    // its JavaScript is h5wasm's glue and a few objects per request: a small young generation
    // keeps the thread's own heap from growing to the event loop's size (the master's peak RSS)
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  worker.unref();
  const w: Thread = { worker, pending: new Map() };
  worker.on('message', (m: { id: number; value?: unknown; error?: { message: string; code?: string } }) => {
    const p = w.pending.get(m.id);
    w.pending.delete(m.id);
    if (!w.pending.size) worker.unref();
    if (!m.error) p?.resolve(m.value);
    else p?.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
  });
  // a thread that died fails what it had; the next write starts another
  const gone = (e: Error) => {
    if (thread === w) thread = undefined;
    for (const p of w.pending.values()) p.reject(e);
    w.pending.clear();
  };
  worker.on('error', gone);
  worker.on('exit', (code) => gone(new Error(`the HDF5 thread ended (exit code ${code})`)));
  return w;
}

function request(message: Record<string, unknown>): Promise<unknown> {
  const w = (thread ??= startThread());
  const id = ++lastId;
  return new Promise((resolve, reject) => {
    if (!w.pending.size) w.worker.ref();
    w.pending.set(id, { resolve, reject });
    w.worker.postMessage({ ...message, id });
  });
}

/**
 * Writes `root` (an H5Group, store/hdf5.ts, its shapes checked) into `tmp` in the HDF5 thread and
 * renames it to `file` there; resolves once the file is in place. A failure comes back as an Error
 * with the thread's message (and `code`), the temporary file removed.
 */
export async function writeInThread(file: string, tmp: string, root: object): Promise<void> {
  await request({ op: 'write', file, tmp, root });
}

/** Reads the whole HDF5 file `file` in the HDF5 thread (a ReadGroup, store/hdf5.ts). */
export function readInThread(file: string): Promise<unknown> {
  return request({ op: 'read', file });
}

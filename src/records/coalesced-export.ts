import { exportDoc, type DocStore } from './json-docs.js';

/**
 * The master's exports of the run and D-Egg files, coalesced: a document whose change has committed
 * is written at once when no file was written in the last `intervalMs` (wall time), else by a
 * timer at the end of that interval, with whatever else changed meanwhile. `flush` writes all
 * that is pending at once; the master calls it when the schedule ends, pauses or stops, and before
 * a backup snapshot.
 *
 * Why this is safe: the store is the only truth (each task's end and its record commit in one
 * transaction), the files are exports of it for the original's tools. Each write is still atomic
 * (a temporary file renamed over the old one), so a file is never torn; and a change that a crash
 * kept from its file is still counted in the store (`json_docs.version` ahead of `exported`), so
 * the next master writes it before anything else (`exportPending`). Nothing is lost, only late.
 *
 * Why it is worth it: the original rewrote the whole run file after every task, and so did icefat
 * (an fsync and a rename each time, about 5 ms). FAT tasks take minutes, so each still has its end
 * written at once; only a burst of short tasks (waits, status checks, a dry run at a high time
 * scale) shares one write per interval, and a reader of the files is at most that far behind the
 * store.
 */
export const EXPORT_INTERVAL_MS = 1000;

/** files written at once by a flush (libuv's threads are 4 by default) */
const EXPORT_LANES = 4;

export class CoalescedExports {
  private readonly pending = new Set<string>();
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ws: DocStore,
    /** a write by the timer or `settle` that failed (the files stay pending: the next flush, or the next master, writes them) */
    private readonly onError: (e: unknown) => void,
    private readonly intervalMs = EXPORT_INTERVAL_MS,
  ) {}

  /** Documents whose change has committed: written now, or within the interval. */
  async changed(files: Iterable<string>): Promise<void> {
    for (const f of files) this.pending.add(f);
    if (!this.pending.size) return;
    const waitMs = this.lastWriteMs + this.intervalMs - Date.now();
    if (waitMs <= 0) return this.flush();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.settle();
    }, waitMs);
    // a master that ends flushes; one that dies leaves the rest to the next (exportPending)
    this.timer.unref();
  }

  /** Writes every pending file now; throws the first failure after trying them all. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return;
    const files = [...this.pending];
    this.pending.clear();
    this.lastWriteMs = Date.now();
    let failure: Error | undefined;
    // a few files at a time: their writes and fsyncs overlap on libuv's threads, and no more than
    // a few document bodies (~0.75 MB each by the end of a FAT) are held at once
    const lane = async () => {
      for (let file = files.shift(); file !== undefined; file = files.shift()) {
        try {
          await exportDoc(this.ws, file);
        } catch (e) {
          this.pending.add(file);
          failure ??= e instanceof Error ? e : new Error(String(e));
        }
      }
    };
    await Promise.all(Array.from({ length: EXPORT_LANES }, lane));
    if (failure) throw failure;
  }

  /** `flush`, a failure told to `onError` instead of thrown (a pause, a stop: the store has it all). */
  settle(): Promise<void> {
    return this.flush().catch(this.onError);
  }
}

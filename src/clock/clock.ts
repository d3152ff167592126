/**
 * One clock for every wait in icefat (HV ramps, `wait_time`, freezer ramps, cold boots).
 *
 * Lab time is what the procedure reasons about: "wait 40 s for the HV to ramp", "hold -40 °C for an
 * hour". Socket idle timeouts are not lab time: they protect against a silent peer and stay in wall
 * time, so they never go through this clock.
 *
 * - `realClock`: lab time is wall time.
 * - `ScaledClock`: lab time runs `scale` times faster than wall time (the simulator and a master
 *   that drives it agree on the same scale, so a two-week FAT can run in minutes).
 * - `VirtualClock`: lab time moves only when told (tests), or jumps to the next timer whenever
 *   every waiter is asleep (`autoAdvance`, for dry runs).
 */
export interface Clock {
  /** Lab time in milliseconds since the Unix epoch. */
  now(): number;
  /** Waits `ms` of lab time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lab seconds per wall second (1 for a real lab, Infinity-like for a virtual clock). */
  readonly scale: number;
}

/** A clock's scale as the store keeps it with a schedule: lab seconds per wall second, 0 for virtual time. */
export function storedScale(clock: Clock): number {
  return Number.isFinite(clock.scale) ? clock.scale : 0;
}

export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}

function wallSleep(wallMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(done, Math.max(0, wallMs));
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(abortError(signal!));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class ScaledClock implements Clock {
  private readonly wallOrigin: number;
  private readonly labOrigin: number;

  /**
   * Lab time is `originMs` at wall time `originMs` and runs `scale` times faster from there.
   * Processes of one station pass the same origin (from its station file), so the lab times that
   * a master, a restarted master and `fat status` write and read agree.
   */
  constructor(
    readonly scale: number,
    originMs = Date.now(),
  ) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`time scale must be a positive number, got ${scale}`);
    this.labOrigin = originMs;
    this.wallOrigin = originMs;
  }

  now(): number {
    return this.labOrigin + (Date.now() - this.wallOrigin) * this.scale;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return wallSleep(ms / this.scale, signal);
  }
}

export const realClock: Clock = new ScaledClock(1);

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  readonly scale = Number.POSITIVE_INFINITY;
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private autoTimer: NodeJS.Immediate | undefined;
  private readonly watchers = new Set<(t: number) => void>();
  private holds = 0;

  /** With `autoAdvance`, time jumps to the next due timer as soon as the event loop is idle. */
  constructor(
    startMs = Date.UTC(2026, 0, 1),
    private readonly autoAdvance = false,
  ) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.scheduleAuto();
    });
  }

  /** Moves lab time forward by `ms`, waking every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.moveTo(next.at);
      next.resolve();
      // let the woken task run up to its next wait before looking again
      await new Promise((r) => setImmediate(r));
    }
    this.moveTo(target);
  }

  /** Calls `fn` with the new lab time whenever it moves (a clock served to another process, clock-link.ts). */
  onAdvance(fn: (t: number) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private moveTo(t: number): void {
    if (t === this.t) return;
    this.t = t;
    for (const fn of this.watchers) fn(t);
  }

  /** Number of sleepers waiting on this clock. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Keeps auto-advance from moving lab time until the returned release is called: a process that
   * follows this clock has just been woken and gets to act (send its next command, start its next
   * wait) at that lab time, as a woken task in this process would before the next timer.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.scheduleAuto();
    };
  }

  private scheduleAuto(): void {
    if (!this.autoAdvance || this.autoTimer || this.holds > 0 || !this.timers.length) return;
    this.autoTimer = setImmediate(() => {
      this.autoTimer = undefined;
      if (this.holds > 0) return;
      const next = this.timers.shift();
      if (!next) return;
      this.moveTo(Math.max(this.t, next.at));
      next.resolve();
      if (this.timers.length) this.scheduleAuto();
    });
  }
}

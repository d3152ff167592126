/**
 * Failed logins (and sign-ups) counted per key (an account, an address) over a sliding window;
 * a key with `limit` failures in the window is refused until the oldest of them leaves it. Kept in
 * the server's memory: one `fat serve` per station, and a restart forgetting is harmless.
 */
const MAX_KEYS = 10_000;

export class Throttle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string): number {
    const list = this.recent(key);
    return list.length < this.limit ? 0 : Math.max(1, Math.ceil((list[list.length - this.limit] + this.windowMs - this.now()) / 1000));
  }

  fail(key: string): void {
    this.failures.set(key, [...this.recent(key), this.now()]);
    // a flood of made-up names must not grow the map without end: the oldest keys go first
    for (const k of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS) break;
      this.failures.delete(k);
    }
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

import type { EventSink, FatEvent, Level } from '../station/events.js';

/**
 * The master's terminal: one line per event, "HH:MM:SS mark message" in the lab's local time.
 * Traces follow indented for warnings and worse, so a shifter glancing at the screen sees what
 * went wrong without scrolling through debug noise.
 */
export interface ConsoleSinkOptions {
  /** default process.stdout */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** default: only when the stream is a TTY and $NO_COLOR is unset */
  color?: boolean;
  /** events below this level are not shown (default 'info') */
  minLevel?: Level;
}

export const LEVEL_RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, critical: 4 };

const MARK: Record<Level, string> = { debug: 'dbg ', info: '    ', warn: 'WARN', error: 'ERR ', critical: 'CRIT' };
const COLOR: Record<Level, [string, string]> = {
  debug: ['\x1b[2m', '\x1b[22m'],
  info: ['', ''],
  warn: ['\x1b[33m', '\x1b[39m'],
  error: ['\x1b[31m', '\x1b[39m'],
  critical: ['\x1b[1;41;97m', '\x1b[0m'],
};

export function formatConsoleLine(e: FatEvent, color = false): string {
  const d = new Date(e.timeMs);
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const [on, off] = color ? COLOR[e.level] : ['', ''];
  const lines = [`${hms} ${on}${MARK[e.level]}${off} ${on}${e.message}${off}`];
  if (e.detail && LEVEL_RANK[e.level] >= LEVEL_RANK.warn) {
    for (const l of e.detail.replace(/\s+$/, '').split('\n')) lines.push(`         ${l}`);
  }
  return lines.join('\n') + '\n';
}

export function createConsoleSink(opts: ConsoleSinkOptions = {}): EventSink {
  const stream = opts.stream ?? process.stdout;
  const color = opts.color ?? (Boolean(stream.isTTY) && !process.env.NO_COLOR);
  const min = LEVEL_RANK[opts.minLevel ?? 'info'];
  return {
    emit(e) {
      if (LEVEL_RANK[e.level] < min) return;
      stream.write(formatConsoleLine(e, color));
    },
  };
}

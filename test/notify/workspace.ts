import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { VirtualClock } from '../../src/clock/clock.js';
import { ensureHome, openWorkspace, type Workspace } from '../../src/station/workspace.js';

/** A fresh home with a real SQLite store, a [slack] section and one run (number `runNumber`). */
export async function tempWorkspace(
  slack: { channel?: string; shifter?: string; expert?: string } | null = { channel: 'C-FAT', shifter: 'U-SHIFTER', expert: 'U-EXPERT' },
  runNumber = 42,
): Promise<{ ws: Workspace; runId: number; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-notify-'));
  const home = ensureHome(dir);
  if (slack) {
    const lines = ['', '[slack]', `channel = "${slack.channel ?? 'C-FAT'}"`];
    if (slack.shifter !== undefined) lines.push(`shifter = "${slack.shifter}"`);
    if (slack.expert !== undefined) lines.push(`expert = "${slack.expert}"`);
    fs.appendFileSync(home.stationFile, lines.join('\n') + '\n');
  }
  // lab time 2026-03-01 12:34:56 UTC, moving only when told
  const ws = await openWorkspace(dir, new VirtualClock(Date.UTC(2026, 2, 1, 12, 34, 56)));
  const run = await ws.db
    .insertInto('runs')
    .values({
      station: ws.station.name,
      run_number: runNumber,
      comment: 'test',
      date: '2026-03-01',
      operator: 'test',
      run_file: path.join(dir, 'run.json'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ws, runId: run.id, dir };
}

/** A stream that keeps what is written to it, for console output. */
export function captureStream(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

import { z } from 'zod';
import { addMeasurementEntry } from '../fat/run-files.js';
import { recordResults, type ResultInput } from '../fat/results.js';
import { PMTS } from './pmt-json.js';
import type { TaskContext, TaskKind } from './types.js';
import { iniBool, iniChoice, iniText } from './values.js';

/**
 * Task kinds whose hardware this station does not have: the TTS (RapCal timing through the ICMs
 * and a timing reference). Schedules may name them (the standard FAT does); when they run they
 * record the skip where a reader will look: an event for the channel, a results row per PMT or
 * module that says why nothing was measured, and the D-Egg entry with `Skipped`.
 */
const NO_TIMING =
  'this station has no RapCal timing hardware (ICM time transfer and a timing reference), so the transit-time spread cannot be measured here';

interface SkipSpec {
  reason: string;
  /** the D-Egg JSON entry written per PMT or per module (the original's key where it had one) */
  entry: string;
  at: 'pmt' | 'module';
  /** the results name (config/goalposts.toml) */
  result: string;
}

async function recordSkip(ctx: TaskContext, kindName: string, spec: SkipSpec, comment: string | null, extra: Record<string, unknown>) {
  if (!ctx.modules.length) throw new Error(`${kindName}: the run has no active modules`);
  const time = new Date(ctx.ws.clock.now()).toISOString();
  const body = { ...(comment !== null ? { Comment: comment } : {}), ...extra, Skipped: spec.reason, Time: time, TaskId: ctx.task.id };
  const keys: string[] = [];
  const rows: ResultInput[] = [];
  for (const m of ctx.modules) {
    if (spec.at === 'pmt')
      for (const pmt of PMTS) {
        keys.push(`${m.serial} ${pmt} ${addMeasurementEntry(m.jsonFile, spec.entry, body, pmt)}`);
        rows.push({ port: m.port, serial: m.serial, pmt, name: spec.result, value: null, notMeasured: spec.reason });
      }
    else {
      keys.push(`${m.serial} ${addMeasurementEntry(m.jsonFile, spec.entry, body)}`);
      rows.push({ port: m.port, serial: m.serial, name: spec.result, value: null, notMeasured: spec.reason });
    }
  }
  await recordResults(ctx.ws, { runId: ctx.run.id, taskId: ctx.task.id, kind: kindName, folder: null }, rows);
  const what = spec.at === 'pmt' ? `${rows.length} PMTs` : `${rows.length} modules`;
  ctx.emit({
    level: 'warn',
    kind: 'task.not-measured',
    message: `${kindName} skipped: ${spec.reason}. Recorded for ${what} as ${spec.entry}_NN with Skipped and as ${spec.result} "not measured" in the results.`,
    audience: 'channel',
    data: { kind: kindName, reason: spec.reason, entry: spec.entry, result: spec.result },
  });
  ctx.progress(1, `${kindName} skipped: ${spec.reason}`);
  return { skipped: true, reason: spec.reason, entry: spec.entry, result: spec.result, entries: keys };
}

const timing = z.object({
  comment: iniText().default('spe level tts'),
  method: iniChoice(['charge_stamp', 'waveform']).default('charge_stamp'),
  overwrite: iniBool(true),
});

const runTiming: TaskKind<z.infer<typeof timing>> = {
  name: 'run_timing',
  aliases: ['tts'],
  summary: 'transit-time spread with RapCal (no timing hardware here: recorded as skipped)',
  params: timing,
  positional: ['comment', 'method', 'overwrite'],
  estimateS: () => 1,
  run: (ctx, p) =>
    recordSkip(ctx, 'run_timing', { reason: NO_TIMING, entry: 'TransitTimeSpread', at: 'pmt', result: 'timing.tts' }, p.comment, {
      Method: p.method,
      Ignored: 'False',
    }),
};

export const noHardwareKinds = [runTiming] as unknown as TaskKind[];

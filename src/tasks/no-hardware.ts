import { z } from 'zod';
import { addMeasurementEntry } from '../fat/run-files.js';
import { recordResults, type ResultInput } from '../fat/results.js';
import { PMTS } from './pmt-json.js';
import type { TaskContext, TaskKind } from './types.js';
import { iniBool, iniChoice, iniInt, iniNumber, iniText } from './values.js';

/**
 * Task kinds whose hardware this station does not have: the TTS (RapCal timing through the ICMs
 * and a timing reference) and the cameras. Schedules may name them (the standard FAT does); when
 * they run they record the skip where a reader will look: an event for the channel, a results row
 * per PMT or module that says why nothing was measured, and the D-Egg entry with `Skipped`.
 */
const NO_TIMING =
  'this station has no RapCal timing hardware (ICM time transfer and a timing reference), so the transit-time spread cannot be measured here';
const NO_CAMERAS = 'this station has no camera readout (cameras and their illumination boards), so the camera tests cannot run here';

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

// the original signatures and defaults (original-standard-fat.md), in their positional order
const jobs = iniInt({ min: 1, max: 16 });
const timing = z.object({
  comment: iniText(),
  n_jobs: jobs,
  f_strength: iniNumber({ min: 0 }).default(1),
  method: iniChoice(['charge_stamp', 'waveform']).default('charge_stamp'),
  overwrite: iniBool(false),
  verbose: iniBool(false),
  alt_fitting: iniBool(false),
});
const camera = z.object({ comment: iniText(), n_jobs: jobs.default(4), plot: iniBool(false), test: iniBool(false) });
const pattern = z.object({ comment: iniText(), n_jobs: jobs.default(4) });
const fileCheck = z.object({ skip_copy: iniBool(false) });
const none = z.object({});

const runTiming: TaskKind<z.infer<typeof timing>> = {
  name: 'run_timing',
  aliases: ['tts'],
  summary: 'transit-time spread with RapCal (no timing hardware here: recorded as skipped)',
  params: timing,
  positional: ['comment', 'n_jobs', 'f_strength', 'method', 'overwrite', 'verbose', 'alt_fitting'],
  estimateS: () => 1,
  run: (ctx, p) =>
    recordSkip(ctx, 'run_timing', { reason: NO_TIMING, entry: 'TransitTimeSpread', at: 'pmt', result: 'timing.tts' }, p.comment, {
      Method: p.method,
      Ignored: 'False',
    }),
};

const measureCamera: TaskKind<z.infer<typeof camera>> = {
  name: 'measure_camera',
  summary: 'camera dark noise (no cameras here: recorded as skipped)',
  params: camera,
  positional: ['comment', 'n_jobs', 'plot', 'test'],
  estimateS: () => 1,
  run: (ctx, p) =>
    recordSkip(
      ctx,
      'measure_camera',
      { reason: NO_CAMERAS, entry: 'camera_darknoise', at: 'module', result: 'camera.dark_rate' },
      p.comment,
      {},
    ),
};

const measurePattern: TaskKind<z.infer<typeof pattern>> = {
  name: 'measure_pattern',
  summary: 'camera pattern test (no cameras here: recorded as skipped)',
  params: pattern,
  positional: ['comment', 'n_jobs'],
  estimateS: () => 1,
  run: (ctx, p) =>
    recordSkip(
      ctx,
      'measure_pattern',
      { reason: NO_CAMERAS, entry: 'camera_pattern', at: 'module', result: 'camera.pattern' },
      p.comment,
      {},
    ),
};

const disableAllLights: TaskKind<z.infer<typeof none>> = {
  name: 'disable_all_lights',
  summary: 'switch all camera illumination off (no cameras here: recorded as skipped)',
  params: none,
  positional: [],
  estimateS: () => 1,
  run: (ctx) =>
    recordSkip(
      ctx,
      'disable_all_lights',
      { reason: NO_CAMERAS, entry: 'CameraLightsOff', at: 'module', result: 'camera.lights_off' },
      null,
      {},
    ),
};

const cameraFileChecker: TaskKind<z.infer<typeof fileCheck>> = {
  name: 'camera_file_checker',
  summary: 'check and copy the camera image files (no cameras here: recorded as skipped)',
  params: fileCheck,
  positional: ['skip_copy'],
  estimateS: () => 1,
  run: (ctx) =>
    recordSkip(
      ctx,
      'camera_file_checker',
      { reason: NO_CAMERAS, entry: 'CameraFileCheck', at: 'module', result: 'camera.files' },
      null,
      {},
    ),
};

export const noHardwareKinds = [runTiming, measureCamera, measurePattern, disableAllLights, cameraFileChecker] as unknown as TaskKind[];

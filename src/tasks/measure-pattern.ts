import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { judgePattern, patternFrame, type PatternFrame } from '../analysis/camera-pattern.js';
import { newDataDir } from '../station/data-dirs.js';
import { type RecordedResult } from '../records/results.js';
import {
  CAMERA_HEIGHT,
  CAMERA_NUMBERS,
  CAMERA_WIDTH,
  cameraPixels,
  cameraWithLedMask,
  DeggCameras,
  type CameraNumber,
} from '../lab/iceboot/cameras.js';
import type { IcebootSession } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { writeFileAtomicAsync } from '../util/atomic-write.js';
import {
  CAMERA,
  cameraFailure,
  cameraSetting,
  fileSafe,
  hvOffForCameras,
  eachCameraModule,
  recordCameraResults,
  laserOff,
  majorityCameraId,
  setUpCamera,
  turnOffCamera,
} from './camera-common.js';
import { rounds } from './rounds.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { iniInt, iniText } from './values.js';

/**
 * `measure_pattern` (measure_camera_pattern.py, original-system.md §6.10): each camera with its
 * LED line on (enable masks 0x03, 0x0c, 0x30) takes one raw frame of the pattern target at each of
 * six exposures at gain 0, HV off and laser off. The original kept the frames for a look by eye;
 * icefat judges them (analysis/camera-pattern.ts): 1 = the pattern shows, the goalpost's pass.
 * The id is the majority of 10 reads, as in the dark-noise test (the original read it once here).
 */
export const PATTERN_EXPOSURES_MS = [33, 100, 200, 300, 500, 1000] as const;

const params = z.object({ comment: iniText(), n_jobs: iniInt({ min: 1, max: 16 }).default(4) });
type P = z.infer<typeof params>;

export interface PatternCamera {
  camera: CameraNumber;
  cameraId: string;
  pass: boolean | null;
  reason: string;
  frames: Array<PatternFrame & { exposureMs: number; image: string }>;
  file: string | null;
  error?: string;
  verdict?: RecordedResult['verdict'];
}

async function patternCamera(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  cam: CameraNumber,
  dir: string,
  temperatureC: number,
  onFrame: () => void,
): Promise<PatternCamera> {
  const cams = new DeggCameras(s);
  let ok = false;
  try {
    await setUpCamera(ctx, s, cams, cam, cameraWithLedMask(cam));
    await ctx.ws.clock.sleep(CAMERA.settleS * 1000, ctx.signal);
    const { id, reads } = await majorityCameraId(cams, cam);
    const name = `${m.serial}_${fileSafe(id)}`;
    const imagesFolder = path.join(dir, name);
    fs.mkdirSync(imagesFolder, { recursive: true });
    const frames: PatternCamera['frames'] = [];
    for (const exposureMs of PATTERN_EXPOSURES_MS) {
      ctx.signal.throwIfAborted();
      await cameraSetting(cams, cam, 0, exposureMs);
      await cams.capture(cam);
      const raw = await cams.readImage(cam);
      const image = `${name}_${exposureMs}ms.RAW`;
      await writeFileAtomicAsync(path.join(imagesFolder, image), raw);
      frames.push({ ...patternFrame(cameraPixels(raw), CAMERA_WIDTH, CAMERA_HEIGHT), exposureMs, image });
      onFrame();
    }
    ok = true;
    const verdict = judgePattern(frames);
    const file = path.join(dir, `${name}.hdf5`);
    await writeHdf5(file, {
      attrs: {
        degg: m.serial,
        port: m.port,
        camera: cam,
        camera_id: id,
        enable_mask: cameraWithLedMask(cam),
        gain: 0,
        mainboard_temp_c: temperatureC,
        pass: verdict.pass ? 1 : 0,
        reason: verdict.reason,
        images_folder: name,
        time: new Date(ctx.ws.clock.now()).toISOString(),
      },
      datasets: {
        image_files: { data: frames.map((f) => f.image) },
        camera_id_reads: { data: reads },
        exposure_ms: { data: Float64Array.from(frames.map((f) => f.exposureMs)), attrs: { units: 'ms' } },
        low_adu: { data: Float64Array.from(frames.map((f) => f.lowAdu)), attrs: { units: 'ADU, mean of the dark part' } },
        high_adu: { data: Float64Array.from(frames.map((f) => f.highAdu)), attrs: { units: 'ADU, mean of the bright part' } },
        separation: { data: Float64Array.from(frames.map((f) => f.separation)), attrs: { units: 'pooled standard deviations' } },
        bright_fraction: { data: Float64Array.from(frames.map((f) => f.brightFraction)), attrs: { units: 'fraction of the kept area' } },
        saturated_fraction: { data: Float64Array.from(frames.map((f) => f.saturatedFraction)), attrs: { units: 'fraction at 4095' } },
        shows: { data: Uint8Array.from(frames.map((f) => (f.shows ? 1 : 0))), attrs: { units: '1 = the frame shows the pattern' } },
      },
    });
    return { camera: cam, cameraId: id, pass: verdict.pass, reason: verdict.reason, frames, file };
  } catch (e) {
    rethrowUnlessModuleFault(ctx, e);
    const error = cameraFailure(cam, cameraWithLedMask(cam), '', e);
    return { camera: cam, cameraId: '', pass: null, reason: error, frames: [], file: null, error };
  } finally {
    await turnOffCamera(s, cams, cam).catch((e: unknown) => {
      if (ok) throw e;
    });
  }
}

export const kind = {
  name: 'measure_pattern',
  summary: 'camera pattern: each camera with its LED on, 6 exposures at gain 0, HV off',
  quantities: ['camera.pattern'],
  params,
  positional: ['comment', 'n_jobs'],
  estimateS: (p, modules) => {
    const perCamera = CAMERA.powerUpS + CAMERA.settleS + 2 + PATTERN_EXPOSURES_MS.reduce((t, ms) => t + ms / 1000 + CAMERA.rawTransferS, 0);
    return rounds(modules, p.n_jobs) * (CAMERA.hvOffWaitS + CAMERA_NUMBERS.length * perCamera);
  },
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_pattern: the run has no active modules');
    await laserOff(ctx);
    const dir = newDataDir(ws.home.dataDir, 'camera_pattern', ws.clock.now());
    const total = modules.length * CAMERA_NUMBERS.length * PATTERN_EXPOSURES_MS.length;
    let frames = 0;
    const onFrame = () => {
      frames++;
      if (frames % 6 === 0) ctx.progress(frames / total, `${frames}/${total} pattern frames`);
    };
    const measured: Array<{ port: number; serial: string; cameras: PatternCamera[]; key: string }> = [];
    const { failures } = await eachCameraModule(
      ctx,
      modules,
      { task: 'measure_pattern', short: 'pattern', entry: 'camera_pattern', jobs: p.n_jobs, comment: p.comment },
      async (m) => {
        const cameras = await ctx.lab.module(m.port, async (s) => {
          await hvOffForCameras(ctx, s, m);
          const temperatureC = await s.temperatureC();
          const out: PatternCamera[] = [];
          for (const cam of CAMERA_NUMBERS) out.push(await patternCamera(ctx, s, m, cam, dir, temperatureC, onFrame));
          return out;
        });
        for (const c of cameras.filter((x) => x.pass !== true))
          ctx.emit({
            level: 'warn',
            kind: 'measure.pattern.failed',
            message: `Camera pattern of ${m.serial} (port ${m.port}) camera ${c.camera}${c.cameraId ? ` (${c.cameraId})` : ''}: ${c.reason}`,
            audience: 'people',
            data: { port: m.port, camera: c.camera },
          });
        const key = await ctx.record.entry(m.jsonFile, 'camera_pattern', {
          Folder: dir,
          Comment: p.comment,
          Cameras: Object.fromEntries(
            cameras.map((c) => [
              String(c.camera),
              { CameraID: c.cameraId, Pass: c.pass, ...(c.reason ? { Reason: c.reason } : {}), Filename: c.file },
            ]),
          ),
          TaskId: ctx.task.id,
        });
        measured.push({ port: m.port, serial: m.serial, cameras, key });
      },
    );
    const judged = await recordCameraResults(ctx, { task: 'measure_pattern', dir, name: 'camera.pattern' }, measured, failures, (c) => ({
      value: c.pass === null ? null : c.pass ? 1 : 0,
      ...(c.error ? { failed: c.error } : c.pass ? {} : { failed: c.reason }),
      detail: {
        cameraId: c.cameraId,
        frames: c.frames.map(({ image: _i, ...f }) => f),
      },
    }));
    for (const r of measured) for (const c of r.cameras) c.verdict = judged(r.port, c.camera)?.verdict;
    return { folder: dir, modules: measured, failures };
  },
} satisfies TaskKind<P>;

import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { z } from 'zod';
import { DarkNoiseAccumulator, type DarkNoiseResult } from '../analysis/camera-darknoise.js';
import { newDataDir } from '../station/data-dirs.js';
import { type RecordedResult } from '../records/results.js';
import {
  CAMERA_HEIGHT,
  CAMERA_NUMBERS,
  CAMERA_WIDTH,
  cameraMask,
  cameraPixels,
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
  whereCamera,
} from './camera-common.js';
import { measuredModules } from './module-jobs.js';
import { rounds } from './rounds.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { iniBool, iniInt, iniText } from './values.js';

/**
 * `measure_camera` (measure_camera_darknoise.py, original-system.md §6.10): dark frames of each of
 * the three cameras of every module at six settings (gain in 0.1 dB, exposure in ms), 30 frames
 * each and 10 at 3700 ms, laser off and HV off. The original's analysis per setting (pedestal,
 * noise, hot pixels: analysis/camera-darknoise.ts); the camera dark rate judged by the goalposts
 * is the pedestal at gain 0 and 3700 ms, the longest exposure without amplification.
 *
 * `test` measures only the first module (by port), as the original's test mode did; `plot` is
 * accepted for the original's signature and changes nothing, as there (the histograms are always
 * stored). `n_images` scales the frames per setting down (the long exposures get a third, at
 * least 2), as other kinds scale their event counts.
 */
export const DARK_SETTINGS = [
  { gain: 0, exposureMs: 33 },
  { gain: 0, exposureMs: 200 },
  { gain: 0, exposureMs: 500 },
  { gain: 0, exposureMs: 3700 },
  { gain: 120, exposureMs: 3700 },
  { gain: 30, exposureMs: 3700 },
] as const;
const DARK_RATE_SETTING = DARK_SETTINGS[3];
const LONG_EXPOSURE_MS = 3700;

const params = z.object({
  comment: iniText(),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  plot: iniBool(false),
  test: iniBool(false).describe('measure only the first module (by port), as the original test mode'),
  n_images: iniInt({ min: 2, max: 30 }).default(30).describe('frames per setting (a third of it at 3700 ms, at least 2)'),
});
type P = z.infer<typeof params>;

const framesAt = (p: P, exposureMs: number) => (exposureMs >= LONG_EXPOSURE_MS ? Math.max(2, Math.round(p.n_images / 3)) : p.n_images);

export interface SettingSummary extends Omit<DarkNoiseResult, 'pedestalHist' | 'noiseHist' | 'frameMeanAdu' | 'frameStdAdu'> {
  gain: number;
  exposureMs: number;
  cameraId: string;
  idReads: string[];
  /** the .RAW.gz frames and the summary HDF5 file */
  imagesFolder: string;
  file: string;
}

export interface CameraSummary {
  camera: CameraNumber;
  /** the majority id; empty when it could not be read */
  cameraId: string;
  darkRateAdu: number | null;
  settings: SettingSummary[];
  error?: string;
  verdict?: RecordedResult['verdict'];
  reason?: string;
}

export interface ModuleSummary {
  port: number;
  serial: string;
  hvRampedDown: boolean;
  temperatureC: number;
  cameras: CameraSummary[];
  key: string;
}

/** the summary HDF5 file of one camera setting */
async function writeDarkFile(
  ctx: TaskContext,
  m: ActiveModule,
  cam: CameraNumber,
  f: {
    file: string;
    name: string;
    id: string;
    reads: string[];
    gain: number;
    exposureMs: number;
    temperatureC: number;
    r: ReturnType<DarkNoiseAccumulator['result']>;
    imageFiles: string[];
    transferS: number[];
  },
): Promise<void> {
  const { file, name, id, reads, gain, exposureMs, temperatureC, r, imageFiles, transferS } = f;
  await writeHdf5(file, {
    attrs: {
      degg: m.serial,
      port: m.port,
      camera: cam,
      camera_id: id,
      gain,
      exposure_ms: exposureMs,
      frames: r.frames,
      mainboard_temp_c: temperatureC,
      pedestal_adu: r.pedestalAdu,
      dark_noise_adu: r.darkNoiseAdu,
      dark_noise_error_adu: r.darkNoiseErrorAdu,
      temporal_noise_adu: r.temporalNoiseAdu,
      pedestal_99pct_adu: r.pedestal99Adu,
      noise_99pct_adu: r.noise99Adu,
      hot_pixels: r.hotPixels.length,
      images_folder: name,
      time: new Date(ctx.ws.clock.now()).toISOString(),
    },
    datasets: {
      image_files: { data: imageFiles },
      camera_id_reads: { data: reads },
      frame_mean_adu: { data: r.frameMeanAdu, attrs: { units: 'ADU (12-bit), mean of each frame over the kept area' } },
      frame_std_adu: { data: r.frameStdAdu, attrs: { units: 'ADU, standard deviation of each frame over the kept area' } },
      transfer_s: { data: Float64Array.from(transferS), attrs: { units: 's of lab time per frame: capture and transfer' } },
      hot_pixel_row: { data: Int32Array.from(r.hotPixels.map((h) => h.row)), attrs: { units: 'sensor row' } },
      hot_pixel_col: { data: Int32Array.from(r.hotPixels.map((h) => h.col)), attrs: { units: 'sensor column' } },
      hot_pixel_frames: { data: Int32Array.from(r.hotPixels.map((h) => h.frames)), attrs: { units: 'frames above mean + 5 sigma' } },
      pedestal_hist_edges: { data: r.pedestalHist.edges, attrs: { units: 'ADU' } },
      pedestal_hist_counts: { data: r.pedestalHist.counts, attrs: { units: 'pixels' } },
      noise_hist_edges: { data: r.noiseHist.edges, attrs: { units: 'ADU' } },
      noise_hist_counts: { data: r.noiseHist.counts, attrs: { units: 'pixels' } },
    },
  });
}

const gunzipAsync = promisify(gunzip);

async function darkSetting(
  ctx: TaskContext,
  s: IcebootSession,
  cams: DeggCameras,
  m: ActiveModule,
  cam: CameraNumber,
  setting: (typeof DARK_SETTINGS)[number],
  frames: number,
  dir: string,
  temperatureC: number,
  onFrame: () => void,
): Promise<SettingSummary> {
  const { gain, exposureMs } = setting;
  const sleep = (sec: number) => ctx.ws.clock.sleep(sec * 1000, ctx.signal);
  let ok = false;
  try {
    await setUpCamera(ctx, s, cams, cam, cameraMask(cam));
    await cameraSetting(cams, cam, gain, exposureMs);
    await cams.setSpiFastMode();
    await sleep(CAMERA.settleS);
    const { id, reads } = await majorityCameraId(cams, cam);
    const name = `${m.serial}_${fileSafe(id)}_${gain}_${exposureMs}`;
    const imagesFolder = path.join(dir, name);
    fs.mkdirSync(imagesFolder, { recursive: true });
    const stamp = Math.floor(ctx.ws.clock.now() / 1000);
    const acc = new DarkNoiseAccumulator(CAMERA_WIDTH, CAMERA_HEIGHT);
    const imageFiles: string[] = [];
    const transferS: number[] = [];
    for (let i = 0; i < frames; i++) {
      ctx.signal.throwIfAborted();
      const t0 = ctx.ws.clock.now();
      await cams.capture(cam);
      const gz = await cams.readImageGz(cam);
      const file = `${m.serial}_${fileSafe(id)}_${stamp}_${gain}_${exposureMs}ms_${i}.RAW.gz`;
      // kept and unpacked on libuv's threads, side by side
      const kept = writeFileAtomicAsync(path.join(imagesFolder, file), gz);
      const unpacked = gunzipAsync(gz);
      void unpacked.catch(() => undefined); // its failure is reported below, after the file's
      await kept;
      let raw: Buffer;
      try {
        raw = await unpacked;
      } catch (e) {
        throw new Error(`frame ${i} came back as a broken gzip stream (${(e as Error).message}); it is kept as ${file}`, { cause: e });
      }
      acc.add(cameraPixels(raw));
      imageFiles.push(file);
      transferS.push((ctx.ws.clock.now() - t0) / 1000);
      onFrame();
    }
    await cams.setSpiSlowMode();
    ok = true;
    const r = acc.result();
    const file = path.join(dir, `${name}.hdf5`);
    await writeDarkFile(ctx, m, cam, { file, name, id, reads, gain, exposureMs, temperatureC, r, imageFiles, transferS });
    const { pedestalHist: _ph, noiseHist: _nh, frameMeanAdu: _fm, frameStdAdu: _fs, ...stats } = r;
    return { ...stats, gain, exposureMs, cameraId: id, idReads: reads, imagesFolder, file };
  } finally {
    // off again even when the camera failed half-way; a failure here must not hide the first one
    await turnOffCamera(s, cams, cam).catch((e: unknown) => {
      if (ok) throw e;
    });
  }
}

async function darkCamera(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  cam: CameraNumber,
  p: P,
  dir: string,
  temperatureC: number,
  onFrame: () => void,
): Promise<CameraSummary> {
  const cams = new DeggCameras(s);
  const settings: SettingSummary[] = [];
  try {
    for (const st of DARK_SETTINGS)
      settings.push(await darkSetting(ctx, s, cams, m, cam, st, framesAt(p, st.exposureMs), dir, temperatureC, onFrame));
  } catch (e) {
    rethrowUnlessModuleFault(ctx, e);
    const at = settings.length < DARK_SETTINGS.length ? DARK_SETTINGS[settings.length] : null;
    const error = cameraFailure(cam, cameraMask(cam), at ? ` at gain ${at.gain}, ${at.exposureMs} ms` : '', e);
    return { camera: cam, cameraId: settings[0]?.cameraId ?? '', darkRateAdu: null, settings, error };
  }
  const ids = new Set(settings.map((x) => x.cameraId));
  const garbled = settings.flatMap((x) => x.idReads).filter((r) => r !== settings[0].cameraId).length;
  if (garbled)
    ctx.emit({
      level: 'warn',
      kind: 'measure.camera.id-garbled',
      message: `${whereCamera(m, cam)}: ${garbled} of ${settings.length * CAMERA.idReads} id reads came back different from the majority (${[...ids].join(', ')}): the majority of each 10 reads was used`,
      audience: 'channel',
      data: { port: m.port, camera: cam },
    });
  const rate = settings.find((x) => x.gain === DARK_RATE_SETTING.gain && x.exposureMs === DARK_RATE_SETTING.exposureMs);
  return { camera: cam, cameraId: settings[0].cameraId, darkRateAdu: rate?.pedestalAdu ?? null, settings };
}

async function measureModule(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  dir: string,
  onFrame: () => void,
): Promise<Omit<ModuleSummary, 'key'>> {
  return ctx.lab.module(m.port, async (s) => {
    const { rampedDown } = await hvOffForCameras(ctx, s, m);
    const temperatureC = await s.temperatureC();
    const cameras: CameraSummary[] = [];
    for (const cam of CAMERA_NUMBERS) {
      const c = await darkCamera(ctx, s, m, cam, p, dir, temperatureC, onFrame);
      cameras.push(c);
      if (c.error)
        ctx.emit({
          level: 'warn',
          kind: 'measure.camera.failed',
          message: `measure_camera: ${m.serial} (port ${m.port}) ${c.error}`,
          audience: 'people',
          data: { port: m.port, camera: cam },
        });
    }
    return { port: m.port, serial: m.serial, hvRampedDown: rampedDown, temperatureC, cameras };
  });
}

function entryOf(p: P, dir: string, taskId: number, r: Omit<ModuleSummary, 'key'>) {
  return {
    Folder: dir,
    Comment: p.comment,
    Images: p.n_images,
    MainboardTemperature: r.temperatureC,
    Cameras: Object.fromEntries(
      r.cameras.map((c) => [
        String(c.camera),
        {
          CameraID: c.cameraId,
          DarkRate: c.darkRateAdu,
          ...(c.error ? { Error: c.error } : {}),
          Settings: c.settings.map((x) => ({
            Gain: x.gain,
            ExposureMs: x.exposureMs,
            Frames: x.frames,
            Pedestal: x.pedestalAdu,
            DarkNoise: x.darkNoiseAdu,
            HotPixels: x.hotPixels.length,
            Filename: x.file,
          })),
        },
      ]),
    ),
    TaskId: taskId,
  };
}

export const kind = {
  name: 'measure_camera',
  summary: 'camera dark noise: 3 cameras x 6 gain/exposure settings per module, HV off',
  quantities: ['camera.dark_rate'],
  params,
  positional: ['comment', 'n_jobs', 'plot', 'test'],
  estimateS: (p, modules) => {
    const perCamera = DARK_SETTINGS.reduce(
      (t, st) => t + CAMERA.powerUpS + CAMERA.settleS + 2 + framesAt(p, st.exposureMs) * (st.exposureMs / 1000 + CAMERA.gzTransferS),
      0,
    );
    return rounds(p.test ? 1 : modules, p.n_jobs) * (CAMERA.hvOffWaitS + CAMERA_NUMBERS.length * perCamera);
  },
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = measuredModules(ctx, 'measure_camera', p.test);
    await laserOff(ctx);
    const dir = newDataDir(ws.home.dataDir, 'camera_darknoise', ws.clock.now());
    const perModule = CAMERA_NUMBERS.length * DARK_SETTINGS.reduce((n, st) => n + framesAt(p, st.exposureMs), 0);
    const total = modules.length * perModule;
    let frames = 0;
    const onFrame = () => {
      frames++;
      if (frames % 10 === 0 || frames === total) ctx.progress(frames / total, `${frames}/${total} camera frames`);
    };
    const measured: ModuleSummary[] = [];
    const { failures } = await eachCameraModule(
      ctx,
      modules,
      { task: 'measure_camera', short: 'camera', entry: 'camera_darknoise', jobs: p.n_jobs, comment: p.comment },
      async (m) => {
        const r = await measureModule(ctx, p, m, dir, onFrame);
        measured.push({ ...r, key: await ctx.record.entry(m.jsonFile, 'camera_darknoise', entryOf(p, dir, ctx.task.id, r)) });
        const bad = r.cameras.filter((c) => c.error).length;
        ctx.progress(frames / total, `${m.serial}: ${3 - bad}/3 cameras measured`);
      },
    );
    const judged = await recordCameraResults(ctx, { task: 'measure_camera', dir, name: 'camera.dark_rate' }, measured, failures, (c) => ({
      value: c.darkRateAdu,
      ...(c.error ? { failed: c.error } : {}),
      detail: {
        cameraId: c.cameraId,
        setting: DARK_RATE_SETTING,
        settings: c.settings.map((x) => ({
          gain: x.gain,
          exposureMs: x.exposureMs,
          frames: x.frames,
          pedestalAdu: x.pedestalAdu,
          darkNoiseAdu: x.darkNoiseAdu,
          temporalNoiseAdu: x.temporalNoiseAdu,
          hotPixels: x.hotPixels.map((h) => [h.row, h.col]),
        })),
      },
    }));
    for (const r of measured)
      for (const c of r.cameras) {
        const row = judged(r.port, c.camera);
        c.verdict = row?.verdict;
        c.reason = row?.reason;
      }
    return { folder: dir, images: p.n_images, longImages: framesAt(p, LONG_EXPOSURE_MS), test: p.test, modules: measured, failures };
  },
} satisfies TaskKind<P>;

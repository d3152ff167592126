import { CAMERA_NUMBERS, DeggCameras, type CameraNumber } from '../lab/iceboot/cameras.js';
import type { RecordedResult } from '../records/results.js';
import type { IcebootSession } from '../lab/iceboot/session.js';
import { eachModule, type FailureLog, type ModuleFailure, measurementFailures } from './module-jobs.js';
import type { ActiveModule, TaskContext } from './types.js';

/**
 * What the camera tasks share (measure_camera_darknoise.py and measure_camera_pattern.py):
 * the laser off, the PMTs' HV off before the cameras are powered, and the set-up, setting and
 * turn-off sequences of the original, word for word.
 */
export const CAMERA = {
  /** the original's wait after ramping the HV down */
  hvOffWaitS: 20,
  /** refuse to power the cameras while a PMT still reads more than this */
  hvMaxVolts: 1000,
  /** the original reads the id this many times and takes the majority */
  idReads: 10,
  /** the waits of setup_cam and after the settings */
  powerUpS: 1,
  settleS: 1,
  /** lab time of a transfer over the wire pair at 1 Mbaud: about 1.1 MB compressed, 2.6 MB raw */
  gzTransferS: 11,
  rawTransferS: 26,
};

export { laserOff } from './module-jobs.js';

/** how a camera appears in the results' pmt column */
export const cameraColumn = (cam: CameraNumber) => `camera${cam}`;
export const whereCamera = (m: ActiveModule, cam: CameraNumber) => `${m.serial} (port ${m.port}) camera ${cam}`;

/** why a camera was not measured, for the results and the people: which camera, where, what came back */
export function cameraFailure(cam: CameraNumber, mask: number, when: string, e: unknown): string {
  return `camera ${cam} (enable mask 0x${mask.toString(16).padStart(2, '0')}) failed${when}: ${(e as Error).message}; the other cameras were measured: log it for an expert`;
}

/** a camera id as part of a file name */
export const fileSafe = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * The cameras' LEDs must not shine on PMTs under high voltage: ramp any enabled channel to 0 V,
 * disable it, wait 20 s, and refuse when a channel still reads above 1000 V.
 */
export async function hvOffForCameras(ctx: TaskContext, s: IcebootSession, m: ActiveModule): Promise<{ rampedDown: boolean }> {
  const on = [await s.hvEnabled(0), await s.hvEnabled(1)];
  if (on.some(Boolean)) {
    for (const ch of [0, 1] as const) await s.setHV(ch, 0);
    for (const ch of [0, 1] as const) await s.disableHV(ch);
    await ctx.ws.clock.sleep(CAMERA.hvOffWaitS * 1000, ctx.signal);
  }
  const volts = [(await s.hvReadback(0)).hvVolts, (await s.hvReadback(1)).hvVolts];
  if (volts.some((v) => v > CAMERA.hvMaxVolts))
    throw new Error(
      `${m.serial} (port ${m.port}): the HV still reads ${volts.map((v) => v.toFixed(0)).join(' V / ')} V after ramping down: the cameras are not powered while a PMT is above ${CAMERA.hvMaxVolts} V; check the HV supply (fat measure hv)`,
    );
  return { rampedDown: on.some(Boolean) };
}

/** setup_cam: calibration power, the cameras' slave power, the enable mask, initCamera, capture mode 0 */
export async function setUpCamera(ctx: TaskContext, s: IcebootSession, cams: DeggCameras, cam: CameraNumber, mask: number): Promise<void> {
  await s.enableCalibrationPower();
  await ctx.ws.clock.sleep(CAMERA.powerUpS * 1000, ctx.signal);
  await s.setCalibrationSlavePowerMask(1);
  await cams.setEnableMask(mask);
  await cams.init(cam);
  await cams.setCaptureMode(cam, 0);
}

/** cam_setting: exposure and gain changed with the sensor in standby */
export async function cameraSetting(cams: DeggCameras, cam: CameraNumber, gainTenthsDb: number, exposureMs: number): Promise<void> {
  await cams.setSensorStandby(cam, true);
  await cams.setExposureMs(cam, exposureMs);
  await cams.setGain(cam, gainTenthsDb);
  await cams.setSensorStandby(cam, false);
}

/** turnoff_cam: standby, no camera enabled, calibration power off; every step tried, the first error thrown */
export async function turnOffCamera(s: IcebootSession, cams: DeggCameras, cam: CameraNumber): Promise<void> {
  const errors: Error[] = [];
  for (const step of [() => cams.setSensorStandby(cam, true), () => cams.setEnableMask(0), () => s.disableCalibrationPower()])
    await step().catch((e: unknown) => errors.push(e as Error));
  if (errors.length) throw errors[0];
}

/** Get_Majority_camera_id: the id read most often in 10 reads; a tie is an unreadable id */
export async function majorityCameraId(cams: DeggCameras, cam: CameraNumber): Promise<{ id: string; reads: string[] }> {
  const reads: string[] = [];
  for (let i = 0; i < CAMERA.idReads; i++) reads.push(await cams.id(cam));
  const counts = new Map<string, number>();
  for (const r of reads) counts.set(r, (counts.get(r) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length > 1 && ranked[1][1] === ranked[0][1])
    throw new Error(`camera ${cam}: no id was read more often than the others in ${reads.length} reads (${reads.join(', ')})`);
  return { id: ranked[0][0], reads };
}

/**
 * The camera tasks' module loop (`measure_camera`, `measure_pattern`): `fn` on each module in
 * wire-pair lanes; a module that fails gets an `entry` saying why (Folder None) and the warn event
 * `measure.<short>.module-failed`.
 */
export async function eachCameraModule(
  ctx: TaskContext,
  modules: ActiveModule[],
  o: { task: string; short: string; entry: string; jobs: number; comment: string },
  fn: (m: ActiveModule) => Promise<void>,
): Promise<FailureLog> {
  const log = measurementFailures(ctx, o.short, o.task);
  await eachModule(
    ctx,
    modules,
    {
      jobs: o.jobs,
      log,
      onFail: async (m, error) => {
        await ctx.record.entry(m.jsonFile, o.entry, { Folder: 'None', Comment: o.comment, Error: error, TaskId: ctx.task.id });
      },
    },
    fn,
  );
  return log;
}

/** A failed module's rows: one per camera, without a value, failed with the module's error. */
export const failedCameraRows = (failures: ModuleFailure[], name: string) =>
  failures.flatMap((f) =>
    CAMERA_NUMBERS.map((cam) => ({ port: f.port, serial: f.serial, pmt: cameraColumn(cam), name, value: null, failed: f.error })),
  );

/** A measured camera's result row: its value, why it failed (when it did) and the detail. */
export interface CameraRow {
  value: number | null;
  failed?: string;
  detail: Record<string, unknown>;
}

/**
 * Records the camera tasks' results under `task`: the measured modules sorted by port, a row `name`
 * per camera (from `row`), then the failed modules' rows. Returns each camera's judged row.
 */
export async function recordCameraResults<C extends { camera: CameraNumber }>(
  ctx: TaskContext,
  o: { task: string; dir: string; name: string },
  measured: Array<{ port: number; serial: string; cameras: C[] }>,
  failures: ModuleFailure[],
  row: (c: C) => CameraRow,
): Promise<(port: number, cam: CameraNumber) => RecordedResult | undefined> {
  measured.sort((a, b) => a.port - b.port);
  const rows = [
    ...measured.flatMap((r) =>
      r.cameras.map((c) => ({ port: r.port, serial: r.serial, pmt: cameraColumn(c.camera), name: o.name, ...row(c) })),
    ),
    ...failedCameraRows(failures, o.name),
  ];
  const recorded = await ctx.record.results(o.task, o.dir, rows);
  return (port, cam) => recorded.find((x) => x.port === port && x.pmt === cameraColumn(cam));
}

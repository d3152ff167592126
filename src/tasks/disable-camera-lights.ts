import { z } from 'zod';
import { type ResultInput } from '../records/results.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import { CAMERA_NUMBERS, DeggCameras } from '../lab/iceboot/cameras.js';
import { cameraColumn } from './camera-common.js';
import type { TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';

/**
 * `disable_all_lights` (utils/disable_camera_lights.py): on every module, for each camera: sensor
 * standby, no camera (and so no LED line) enabled, calibration power off, a second's pause. The
 * original walked the 16 ports 5000-5015; icefat walks the run's active modules, four wire pairs at
 * a time. A camera that refuses its standby is noted; the lights count as off once the enable
 * mask and the calibration power are off.
 */
const params = z.object({});
const PAUSE_S = 1;

export const kind: TaskKind<z.infer<typeof params>> = {
  name: 'disable_all_lights',
  summary: 'camera LEDs and calibration power off on every module',
  quantities: ['camera.lights_off'],
  params,
  positional: [],
  // the pause and about two seconds of words per camera, four wire pairs at a time
  estimateS: (_p, modules) => Math.ceil(Math.max(1, modules) / 4) * CAMERA_NUMBERS.length * (PAUSE_S + 2),
  async run(ctx) {
    const ws = ctx.ws;
    if (!ctx.modules.length) throw new Error('disable_all_lights: the run has no active modules');
    const rows: ResultInput[] = [];
    const problems: string[] = [];
    await runLanes(wirePairLanes(ctx.modules), 4, async (m) => {
      ctx.signal.throwIfAborted();
      const standby: Array<string | null> = [];
      let off: string | null = null;
      try {
        await ctx.lab.module(m.port, async (s) => {
          const cams = new DeggCameras(s);
          for (const cam of CAMERA_NUMBERS) {
            standby[cam - 1] = await cams.setSensorStandby(cam, true).then(
              () => null,
              (e: unknown) => (e as Error).message,
            );
            await cams.setEnableMask(0);
            await s.disableCalibrationPower();
            await ws.clock.sleep(PAUSE_S * 1000, ctx.signal);
          }
        });
      } catch (e) {
        rethrowUnlessModuleFault(ctx, e);
        off = (e as Error).message;
      }
      for (const cam of CAMERA_NUMBERS) {
        const why = off ?? standby[cam - 1] ?? null;
        if (why) problems.push(`${m.serial} (port ${m.port}) camera ${cam}: ${why}`);
        rows.push({
          port: m.port,
          serial: m.serial,
          pmt: cameraColumn(cam),
          name: 'camera.lights_off',
          value: off ? 0 : 1,
          detail: { standby: standby[cam - 1] === null ? 'accepted' : (standby[cam - 1] ?? 'not sent'), ...(off ? { error: off } : {}) },
        });
      }
      ctx.emit({
        level: off ? 'warn' : 'info',
        kind: 'camera.lights-off',
        message: off
          ? `Camera lights of ${m.serial} (port ${m.port}) could not be switched off: ${off}`
          : `Camera Lights disabled for ${m.port}`,
        audience: 'channel',
        data: { port: m.port },
      });
    });
    rows.sort((a, b) => a.port - b.port || String(a.pmt).localeCompare(String(b.pmt)));
    await ctx.record.results('disable_all_lights', null, rows);
    const notOff = [...new Set(rows.filter((r) => r.value === 0).map((r) => r.serial))];
    return { modules: ctx.modules.length, lightsOff: ctx.modules.length - notOff.length, notOff, problems };
  },
};

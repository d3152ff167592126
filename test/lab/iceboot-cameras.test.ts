import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_IMAGE_BYTES, cameraMask, cameraPixels, DeggCameras } from '../../src/lab/iceboot/cameras.js';
import type { IcebootError } from '../../src/lab/iceboot/errors.js';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { IcmClient } from '../../src/lab/icm-client.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';
import { TEST_PORTS } from '../helpers/ports.js';

const HOST = '127.0.0.1';

/** the error a driver call fails with, as kind and message */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ kind: 'none', message: 'it did not fail' }),
    (e: unknown) => ({ kind: (e as IcebootError).kind, message: (e as Error).message }),
  );

/**
 * The camera words through the real driver and a real socket to a simulated mainboard: the
 * compressed transfer reassembles to the very frame the raw transfer sends, the client refuses
 * camera words without the LID interlock, a camera that is not initialised or is dead answers
 * FAIL, and the garbled-id fault garbles only some reads.
 */
describe('camera words on a simulated D-Egg', () => {
  let lab: SimLab;
  let s: IcebootSession;
  let cams: DeggCameras;
  let icm: IcmClient;
  const dev = 2;
  let port: number;

  beforeAll(async () => {
    lab = await startSimLab({ seed: 5, basePort: TEST_PORTS.cameraWords, timeScale: 1000, domnet: 'auto' });
    port = lab.ports.mainboard(0, dev);
    icm = new IcmClient(HOST, lab.ports.icm(0), { timeoutMs: 3000 });
    s = await IcebootSession.open(HOST, port);
    cams = new DeggCameras(s);
  });
  afterAll(async () => {
    await s?.close();
    icm?.close();
    await lab?.close();
  });

  const powerUp = async (cam: 1 | 2 | 3, mask: number) => {
    await s.enableCalibrationPower();
    await s.setCalibrationSlavePowerMask(1);
    await cams.setEnableMask(mask);
    await cams.init(cam);
  };

  it('a captured frame comes back the same through sendGZCameraImage and sendCameraImage', async () => {
    const truth = lab.truth.modules.find((m) => m.port === port)!.cameras[0];
    await powerUp(1, cameraMask(1));
    expect(await cams.id(1)).toBe(truth.id);
    await cams.setExposureMs(1, 500);
    await cams.capture(1);
    expect(await cams.imageSize(1)).toBe(CAMERA_IMAGE_BYTES);
    const gz = await cams.readImageGz(1);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const raw = await cams.readImage(1);
    expect(raw.length).toBe(CAMERA_IMAGE_BYTES);
    expect(gunzipSync(gz).equals(raw)).toBe(true);
    // 12-bit values shifted left by 4: the low nibble is always 0
    expect(raw.readUInt16LE(1000) & 0xf).toBe(0);
    const px = cameraPixels(raw);
    // in place of the bytes: the raw image now holds the pixels
    expect(px.buffer).toBe(raw.buffer);
    expect(px[500]).toBe(gunzipSync(gz).readUInt16LE(1000) >> 4);
    const level = truth.blackLevelAdu + (truth.darkCurrentAduPerS * 500) / 1000;
    expect(Math.abs(px.slice(20 * 1312, 30 * 1312).reduce((a, b) => a + b, 0) / (10 * 1312) - level)).toBeLessThan(0.5);
    // the console is still in step after the binary replies
    expect(await s.cmd('7 .s drop')).toBe('<1> 7 ');
  });

  it('a camera that is not initialised, and one without power, answers FAIL; without LID the client refuses', async () => {
    const notReady = await failure(cams.capture(2));
    expect(notReady.kind).toBe('failed');
    expect(notReady.message).toContain('"2 captureCameraImage" with "captureCameraImage: FAIL"');
    await s.disableCalibrationPower();
    expect((await failure(cams.capture(1))).kind).toBe('failed');
    const gz = await failure(cams.readImageGz(1));
    expect(gz.kind).toBe('failed');
    expect(gz.message).toContain('"sendGZCameraImage: FAIL" instead of a compressed transfer');
    expect(await s.cmd('7 .s drop')).toBe('<1> 7 ');
    await icm.lidDisable(dev);
    try {
      const refused = await failure(cams.setEnableMask(1));
      expect(refused.kind).toBe('interlock');
      expect(refused.message).toContain('LID interlock is off');
    } finally {
      await icm.lidEnable(dev);
    }
  });

  it('a dead camera fails initCamera; a garbled id reads wrong only some of the time', async () => {
    lab.ctx.faults.add({ kind: 'dead-camera', target: `${port}/3` });
    lab.ctx.faults.add({ kind: 'garbled-camera-id', target: `${port}/2` });
    try {
      const dead = await failure(powerUp(3, cameraMask(3)));
      expect(dead.kind).toBe('failed');
      expect(dead.message).toContain('"3 initCamera" with "initCamera: FAIL": the camera does not respond');
      await powerUp(2, cameraMask(2));
      const id = lab.truth.modules.find((m) => m.port === port)!.cameras[1].id;
      const reads: string[] = [];
      for (let i = 0; i < 30; i++) reads.push(await cams.id(2));
      const right = reads.filter((r) => r === id).length;
      expect(right).toBeGreaterThan(15);
      expect(right).toBeLessThan(30);
    } finally {
      lab.ctx.faults.remove('dead-camera');
      lab.ctx.faults.remove('garbled-camera-id');
    }
  });
});

import { IcebootError, showReply } from './errors.js';
import type { IcebootSession } from './session.js';
import { REPLY_TIMEOUT_MS } from './console.js';

/**
 * The camera words of a D-Egg mainboard (iceboot-protocol.md §3.13), as the Python client sends
 * them: every word is LID-gated on the client side too (the interlock is read before each one).
 * Three cameras, numbers 1-3, enable-mask bits 0x01, 0x04, 0x10; the bit above each (0x02, 0x08,
 * 0x20) also switches its LED line. An image is 1312 x 993 little-endian uint16 words holding
 * 12-bit values shifted left by 4.
 */
export const CAMERA_WIDTH = 1312;
export const CAMERA_HEIGHT = 993;
export const CAMERA_IMAGE_BYTES = CAMERA_WIDTH * CAMERA_HEIGHT * 2;
export const CAMERA_NUMBERS = [1, 2, 3] as const;
export type CameraNumber = (typeof CAMERA_NUMBERS)[number];

/** the enable-mask bit of a camera */
export const cameraMask = (cam: CameraNumber) => 1 << (2 * (cam - 1));
/** the camera and its LED line (the original pattern test's CAM_HEX: 0x03, 0x0c, 0x30) */
export const cameraWithLedMask = (cam: CameraNumber) => 3 << (2 * (cam - 1));

/** `initCamera` and `captureCameraImage` may take up to 10 s, a transfer 100 s (the original's timeouts) */
const SLOW_MS = 10_000;
const TRANSFER_MS = 100_000;

export class DeggCameras {
  constructor(private readonly s: IcebootSession) {}

  private async word(line: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<void> {
    await this.lid(line);
    const out = (await this.s.cmd(line, timeoutMs)).trim();
    if (out) throw this.noAnswer(line, out);
  }

  private noAnswer(line: string, out: string): IcebootError {
    return /: FAIL/.test(out)
      ? new IcebootError(
          'failed',
          this.s.module,
          line,
          `${this.s.module} answered "${line}" with ${showReply(out)}: the camera does not respond (dead, unpowered or off the calibration bus)`,
        )
      : new IcebootError(
          'unexpected',
          this.s.module,
          line,
          `${this.s.module} answered "${line}" with ${showReply(out)}, expected no output (does this iceboot version know the camera words?)`,
        );
  }

  private async lid(line: string): Promise<void> {
    if (!(await this.s.lidInterlock()))
      throw new IcebootError(
        'interlock',
        this.s.module,
        line,
        `${this.s.module}: refusing "${line}": the LID interlock is off (send lid_enable for this device on its ICM command port)`,
      );
  }

  setEnableMask(mask: number): Promise<void> {
    return this.word(`${mask & 0x3f} setCameraEnableMask`);
  }
  init(cam: CameraNumber): Promise<void> {
    return this.word(`${cam} initCamera`, SLOW_MS);
  }
  setCaptureMode(cam: CameraNumber, mode: number): Promise<void> {
    return this.word(`${cam} ${mode} setCameraCaptureMode`);
  }
  setExposureMs(cam: CameraNumber, exposureMs: number): Promise<void> {
    return this.word(`${cam} ${Math.round(exposureMs)} setCameraExposureMs`);
  }
  /** gain in units of 0.1 dB (0-300) */
  setGain(cam: CameraNumber, gainTenthsDb: number): Promise<void> {
    return this.word(`${cam} ${Math.round(gainTenthsDb)} setCameraGain`);
  }
  setSensorStandby(cam: CameraNumber, standby: boolean): Promise<void> {
    return this.word(`${cam} ${standby ? 1 : 0} setCameraSensorStandby`);
  }
  setSpiFastMode(): Promise<void> {
    return this.s.exec('setCalSPIFastMode');
  }
  setSpiSlowMode(): Promise<void> {
    return this.s.exec('setCalSPISlowMode');
  }

  /** one read of the camera's text id (the FAT reads it 10 times and takes the majority) */
  async id(cam: CameraNumber): Promise<string> {
    const line = `${cam} getCameraID`;
    await this.lid(line);
    const out = (await this.s.cmd(line)).trim();
    if (!out || /: (FAIL|unknown word)|ERROR/.test(out))
      throw new IcebootError(
        'failed',
        this.s.module,
        line,
        `${this.s.module} answered "${line}" with ${showReply(out)} instead of the camera's id`,
      );
    return out;
  }

  capture(cam: CameraNumber): Promise<void> {
    return this.word(`${cam} captureCameraImage`, SLOW_MS);
  }

  async imageSize(cam: CameraNumber): Promise<number> {
    const line = `${cam} cameraImageSize .s drop`;
    await this.lid(line);
    return this.s.intCmd(line);
  }

  /** the last captured image, raw (`sendCameraImage`): exactly `cameraImageSize` bytes */
  async readImage(cam: CameraNumber): Promise<Buffer> {
    const size = await this.imageSize(cam);
    const line = `${cam} sendCameraImage`;
    await this.lid(line);
    return this.s.rawCmd(line, size, TRANSFER_MS);
  }

  /** the last captured image as the gzip file `sendGZCameraImage` streams (the original's .RAW.gz) */
  async readImageGz(cam: CameraNumber): Promise<Buffer> {
    await this.imageSize(cam);
    const line = `${cam} sendGZCameraImage`;
    await this.lid(line);
    return this.s.gzCmd(line, TRANSFER_MS);
  }
}

/**
 * The 12-bit pixel values of a raw image (row-major, 993 rows of 1312), made in place of its
 * bytes (a frame is 2.6 MB, and the dark noise reads tens of frames per camera, four modules at
 * once): `raw` is not the image afterwards, so write it out before. (A buffer at an odd offset is
 * copied first: a typed-array view needs an even one.)
 */
export function cameraPixels(raw: Buffer): Uint16Array {
  if (raw.length !== CAMERA_IMAGE_BYTES)
    throw new Error(`a camera image has ${CAMERA_IMAGE_BYTES} bytes (${CAMERA_WIDTH} x ${CAMERA_HEIGHT} x 2), got ${raw.length}`);
  // a typed-array view reads host order: little-endian hosts (x86, ARM) only; an odd offset needs a copy
  const bytes = raw.byteOffset % 2 === 0 ? raw : Buffer.from(raw);
  const px = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  for (let i = 0; i < px.length; i++) px[i] >>= 4;
  return px;
}

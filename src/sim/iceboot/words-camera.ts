import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CAMERA_HEIGHT, CAMERA_WIDTH, renderImage } from '../camera-model.js';
import { Rng } from '../rng.js';
import { CTRL2_LID } from './interlocks.js';
import type { MainboardSim } from './mainboard.js';
import type { Word, WordIO } from './words.js';
import { fail } from './words-util.js';

const gzipAsync = promisify(gzip);

/**
 * The camera words (iceboot-protocol.md §3.13) on the mainboard's calibration bus. A camera is
 * powered while calibration power is on, slave-power bit 1 (cameras) is set, its enable-mask bit
 * (0x01, 0x04, 0x10) is set and the LID interlock is on; its LED line is the bit above (0x02,
 * 0x08, 0x20). `initCamera` readies a powered camera (about 1.5 s); losing power un-readies it and
 * drops its last image. A capture takes the exposure; sending an image takes the time of a
 * 1 Mbaud serial line (10 bits per byte), as on a wire pair.
 *
 * Choices where the reference leaves the firmware open: words for a camera that is not ready
 * print `<word>: FAIL`, except `setCameraSensorStandby`, which a powered-down camera accepts (the
 * original's disable_all_lights sends it to every camera); a camera under the dead-camera fault
 * fails every word. Gain is 0..300 (0.1 dB), exposure 1..10000 ms.
 */
export interface CameraState {
  ready: boolean;
  standby: boolean;
  captureMode: number;
  exposureMs: number;
  gain: number;
  /** the last captured frame, as sent */
  image: Buffer | null;
}

export const newCameraState = (): CameraState => ({ ready: false, standby: true, captureMode: 0, exposureMs: 33, gain: 0, image: null });

const INIT_MS = 1500;
const READOUT_MS = 50;
const SERIAL_BYTES_PER_S = 100_000;
const GZ_CHUNK_BYTES = 4096;
/** one getCameraID read in this many comes back garbled under the garbled-camera-id fault */
const GARBLE_ONE_IN = 3;

const enableBit = (cam: number) => 1 << (2 * (cam - 1));

function cameraPowered(m: MainboardSim, cam: number): boolean {
  return m.calPower && (m.calSlaveMask & 1) !== 0 && (m.cameraMask & enableBit(cam)) !== 0 && m.interlock(CTRL2_LID);
}

function ledOn(m: MainboardSim, cam: number): boolean {
  return (
    cameraPowered(m, cam) &&
    (m.cameraMask & (enableBit(cam) << 1)) !== 0 &&
    !m.ctx.faults.has('dark-camera-led', m.port, `${m.port}/${cam}`)
  );
}

/** after any change of calibration power, slave mask or enable mask: unpowered cameras forget */
export function syncCameraPower(m: MainboardSim): void {
  m.cameras.forEach((c, i) => {
    if (!cameraPowered(m, i + 1)) Object.assign(c, newCameraState());
  });
}

const dead = (m: MainboardSim, cam: number) => m.ctx.faults.has('dead-camera', m.port, `${m.port}/${cam}`);

function popCam(io: WordIO, word: string): number {
  const cam = io.stack.pop(word);
  if (cam < 1 || cam > 3) throw fail(word);
  return cam;
}

/** the camera a word is for, which must be ready */
function readyCamera(m: MainboardSim, cam: number, word: string): CameraState {
  const c = m.cameras[cam - 1];
  if (!m.interlock(CTRL2_LID) || dead(m, cam) || !cameraPowered(m, cam) || !c.ready) throw fail(word);
  return c;
}

/** `<cam> <value> word`: one parameter of a ready camera within [lo, hi] */
function setting(word: string, lo: number, hi: number, set: (c: CameraState, v: number) => void): Word {
  return (m, io) => {
    const v = io.stack.pop(word);
    const c = readyCamera(m, popCam(io, word), word);
    if (v < lo || v > hi) throw fail(word);
    set(c, v);
  };
}

function garble(id: string, rng: Rng): string {
  const i = rng.int(0, id.length - 1);
  return id.slice(0, i) + String.fromCharCode(rng.int(0x21, 0x7e)) + id.slice(i + 1);
}

async function sendTime(m: MainboardSim, bytes: number, io: WordIO): Promise<void> {
  await m.ctx.clock.sleep((bytes / SERIAL_BYTES_PER_S) * 1000, io.signal);
}

function capturedImage(m: MainboardSim, io: WordIO, word: string): { image: Buffer; cam: number } {
  const cam = popCam(io, word);
  const c = readyCamera(m, cam, word);
  if (!c.image) throw fail(word);
  return { image: c.image, cam };
}

export const CAMERA_WORDS: Array<[string, Word]> = [
  ['setCalSPIFastMode', () => undefined],
  ['setCalSPISlowMode', () => undefined],
  [
    'setCameraEnableMask',
    (m, io) => {
      const mask = io.stack.pop('setCameraEnableMask');
      if (!m.interlock(CTRL2_LID) || mask < 0 || mask > 0x3f) throw fail('setCameraEnableMask');
      m.cameraMask = mask;
      syncCameraPower(m);
    },
  ],
  [
    'initCamera',
    async (m, io) => {
      const cam = popCam(io, 'initCamera');
      if (!m.interlock(CTRL2_LID) || !cameraPowered(m, cam)) throw fail('initCamera');
      await m.ctx.clock.sleep(INIT_MS, io.signal);
      // a dead camera never answers on the bus: the firmware gives up after its retries
      if (dead(m, cam)) throw fail('initCamera');
      Object.assign(m.cameras[cam - 1], newCameraState(), { ready: true, standby: false });
    },
  ],
  ['setCameraCaptureMode', setting('setCameraCaptureMode', 0, 3, (c, v) => (c.captureMode = v))],
  ['setCameraExposureMs', setting('setCameraExposureMs', 1, 10_000, (c, v) => (c.exposureMs = v))],
  ['setCameraGain', setting('setCameraGain', 0, 300, (c, v) => (c.gain = v))],
  [
    'setCameraSensorStandby',
    (m, io) => {
      const on = io.stack.pop('setCameraSensorStandby');
      const cam = popCam(io, 'setCameraSensorStandby');
      if (!m.interlock(CTRL2_LID) || dead(m, cam) || (on !== 0 && on !== 1)) throw fail('setCameraSensorStandby');
      const c = m.cameras[cam - 1];
      if (c.ready) c.standby = on === 1;
    },
  ],
  [
    'getCameraID',
    (m, io) => {
      const cam = popCam(io, 'getCameraID');
      readyCamera(m, cam, 'getCameraID');
      const id = m.truth.cameras[cam - 1].id;
      const garbled =
        m.ctx.faults.has('garbled-camera-id', m.port, `${m.port}/${cam}`) && m.cameraIdRng[cam - 1].int(1, GARBLE_ONE_IN) === 1;
      io.print(garbled ? garble(id, m.cameraIdRng[cam - 1]) : id);
    },
  ],
  [
    'captureCameraImage',
    async (m, io) => {
      const cam = popCam(io, 'captureCameraImage');
      const c = readyCamera(m, cam, 'captureCameraImage');
      if (c.standby) throw fail('captureCameraImage');
      await m.ctx.clock.sleep(c.exposureMs + READOUT_MS, io.signal);
      c.image = renderImage(m.truth.cameras[cam - 1], { gainTenthsDb: c.gain, exposureMs: c.exposureMs, lit: ledOn(m, cam) }, m.rng);
    },
  ],
  [
    'cameraImageSize',
    (_m, io) => {
      popCam(io, 'cameraImageSize');
      io.stack.push(CAMERA_WIDTH * CAMERA_HEIGHT * 2);
    },
  ],
  [
    'sendCameraImage',
    async (m, io) => {
      const { image } = capturedImage(m, io, 'sendCameraImage');
      await sendTime(m, image.length, io);
      io.printBytes(image);
    },
  ],
  [
    'sendGZCameraImage',
    async (m, io) => {
      const { image, cam } = capturedImage(m, io, 'sendGZCameraImage');
      // on libuv's threads: the lab's other modules are served meanwhile
      const gz = await gzipAsync(image, { level: 1 });
      io.signal?.throwIfAborted();
      // past the 10-byte gzip header: the stream arrives whole, framed as ever, and does not unpack
      if (m.ctx.faults.has('corrupt-camera-image', m.port, `${m.port}/${cam}`)) gz.fill(0xff, 10, 74);
      const parts: Buffer[] = [];
      for (let o = 0; o < gz.length; o += GZ_CHUNK_BYTES) {
        const chunk = gz.subarray(o, Math.min(gz.length, o + GZ_CHUNK_BYTES));
        const len = Buffer.alloc(2);
        len.writeUInt16LE(chunk.length, 0);
        parts.push(len, chunk);
      }
      parts.push(Buffer.from([0xff, 0xff]));
      const stream = Buffer.concat(parts);
      await sendTime(m, stream.length, io);
      io.printBytes(stream);
    },
  ],
];

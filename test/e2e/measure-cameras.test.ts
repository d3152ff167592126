import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, query, setupRun } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `fat measure camera` and `fat measure pattern` through the real binary against the simulated
 * lab, on two modules of the run (the other fourteen excluded, to keep the frames few): dark
 * levels, noise and hot pixels of every camera agree with `fat sim truth`, the pattern shows with
 * the light the truth gives each LED, a dead camera fails exactly that camera of that module and
 * says why, a garbled id still gives the right id by majority, and a dark LED fails the pattern
 * of its camera only. Raw frames and summaries are read back with python's gzip and h5dump.
 */
interface Truth {
  modules: Array<{
    port: number;
    deggSerial: string;
    cameras: Array<{
      number: number;
      id: string;
      hotPixels: Array<{ row: number; col: number }>;
      patternAduPerMs: number;
      darkRateAdu: number;
      settings: Array<{ gain: number; exposureMs: number; darkLevelAdu: number; darkNoiseAdu: number }>;
    }>;
  }>;
}

interface Setting {
  gain: number;
  exposureMs: number;
  frames: number;
  pedestalAdu: number;
  temporalNoiseAdu: number;
  hotPixels: Array<{ row: number; col: number }>;
  idReads: string[];
  imagesFolder: string;
  file: string;
}

interface CameraRun {
  folder: string;
  modules: Array<{
    port: number;
    serial: string;
    cameras: Array<{ camera: number; cameraId: string; darkRateAdu: number | null; settings: Setting[]; error?: string; verdict: string }>;
  }>;
  failures: unknown[];
}

interface PatternRun {
  folder: string;
  modules: Array<{
    port: number;
    serial: string;
    cameras: Array<{
      camera: number;
      cameraId: string;
      pass: boolean | null;
      reason: string;
      file: string | null;
      frames: Array<{ exposureMs: number; shows: boolean; lowAdu: number; highAdu: number; saturatedFraction: number; image: string }>;
    }>;
  }>;
}

/** mean 12-bit value of the kept area (rows >= 16, columns >= 3) of a .RAW.gz frame, read by python */
const PY_FRAME_MEAN = `
import array, gzip, sys
d = gzip.open(sys.argv[1]).read()
a = array.array('H'); a.frombytes(d)
W, H = 1312, 993
s = sum(sum(a[r * W + 3:(r + 1) * W]) for r in range(16, H))
print(len(d), s / 16 / ((H - 16) * (W - 3)))
`;

describe('the camera tests on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let truth: Truth;
  // A on wire pair 0, B on wire pair 1: measured in parallel lanes
  const A = () => truth.modules[0];
  const B = () => truth.modules[5];

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.measureCameras, { timeScale: 1000 });
    await setupRun(env.run);
    const t = await env.run(['sim', 'truth', '--json']);
    expect(t.code, t.stderr).toBe(0);
    truth = JSON.parse(t.stdout) as Truth;
    const others = truth.modules.filter((m) => m !== A() && m !== B());
    const out = await Promise.all(
      others.map((m) => env.run(['exclude', String(m.port), '--reason', 'the camera test measures two modules'])),
    );
    for (const o of out) expect(o.code, o.stderr).toBe(0);
    env.lab.ctx.faults.add({ kind: 'dead-camera', target: `${B().port}/2` });
    env.lab.ctx.faults.add({ kind: 'garbled-camera-id', target: `${B().port}/1` });
  }, 120_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat measure camera: levels, noise and hot pixels per camera as the truth has them; the dead camera fails alone', async () => {
    const r = await env.run(['measure', 'camera', '--images', '2', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`not passed: ${B().deggSerial} camera 2`);
    const s = JSON.parse(r.stdout) as CameraRun;
    expect(s.failures).toEqual([]);
    expect(s.modules.map((m) => m.port)).toEqual([A().port, B().port]);
    const order = ['0/33', '0/200', '0/500', '0/3700', '30/3700', '120/3700'];
    for (const m of s.modules) {
      const tm = truth.modules.find((x) => x.port === m.port)!;
      for (const c of m.cameras) {
        const who = `${m.serial} camera ${c.camera}`;
        const tc = tm.cameras[c.camera - 1];
        if (m.port === B().port && c.camera === 2) {
          expect(c.verdict, who).toBe('fail');
          expect(c.error).toMatch(
            /^camera 2 \(enable mask 0x04\) failed at gain 0, 33 ms: .*"2 initCamera" with "initCamera: FAIL": the camera does not respond/,
          );
          continue;
        }
        expect(c.verdict, who).toBe('pass');
        expect(c.cameraId, who).toBe(tc.id);
        // the camera dark rate: the pedestal at gain 0, 3700 ms. The mean of 1.27 million pixels
        // over two frames is good to about 0.02 ADU; the truth's few hot pixels add less than 0.03
        expect(Math.abs(c.darkRateAdu! - tc.darkRateAdu), who).toBeLessThan(0.2);
        expect(c.settings.map((x) => `${x.gain}/${x.exposureMs}`)).toEqual(['0/33', '0/200', '0/500', '0/3700', '120/3700', '30/3700']);
        for (const x of c.settings) {
          const ts = tc.settings.find((y) => y.gain === x.gain && y.exposureMs === x.exposureMs)!;
          const at = `${who} gain ${x.gain}, ${x.exposureMs} ms`;
          expect(x.frames).toBe(2);
          expect(Math.abs(x.pedestalAdu - ts.darkLevelAdu), at).toBeLessThan(0.2);
          // the truth's noise before 12-bit rounding, which adds 1/12 ADU²; the variance over
          // 1.27 million pixels is good to 0.2 %
          expect(Math.abs(x.temporalNoiseAdu / Math.sqrt(ts.darkNoiseAdu ** 2 + 1 / 12) - 1), at).toBeLessThan(0.015);
          // a hot pixel is called where the truth has one, and never elsewhere
          const hot = tc.hotPixels.map((h) => `${h.row}/${h.col}`);
          for (const h of x.hotPixels) expect(hot, at).toContain(`${h.row}/${h.col}`);
        }
        // at the long exposure every hot pixel of the truth is found
        const long = c.settings.find((x) => x.gain === 0 && x.exposureMs === 3700)!;
        expect(
          long.hotPixels.map((h) => `${h.row}/${h.col}`),
          who,
        ).toEqual(tc.hotPixels.map((h) => `${h.row}/${h.col}`));
        // noise and level grow with exposure and gain
        const by = (k: string) => c.settings.find((x) => `${x.gain}/${x.exposureMs}` === k)!;
        for (let i = 1; i < order.length; i++) {
          expect(by(order[i]).temporalNoiseAdu, `${who} ${order[i]}`).toBeGreaterThan(by(order[i - 1]).temporalNoiseAdu);
          expect(by(order[i]).pedestalAdu, `${who} ${order[i]}`).toBeGreaterThan(by(order[i - 1]).pedestalAdu);
        }
        // the id read ten times per setting: clean on healthy cameras, garbled on B's camera 1 but
        // the majority right
        const wrong = c.settings.flatMap((x) => x.idReads).filter((id) => id !== tc.id).length;
        if (m.port === B().port && c.camera === 1) expect(wrong, who).toBeGreaterThan(0);
        else expect(wrong, who).toBe(0);
      }
    }
    expect(r.stderr).toContain(`${B().deggSerial} (port ${B().port}) camera 1: `);
    expect(r.stderr).toMatch(/id reads came back different from the majority \(\S+\): the majority of each 10 reads was used/);

    // the results: one failed camera, named with why
    const rows = query<{ degg_serial: string; pmt: string; verdict: string; reason: string; value: number | null; units: string }>(
      env.dir,
      "select degg_serial, pmt, verdict, reason, value, units from results where name = 'camera.dark_rate' order by id",
    );
    expect(rows).toHaveLength(6);
    expect(rows.filter((x) => x.verdict === 'pass')).toHaveLength(5);
    const failed = rows.find((x) => x.verdict === 'fail')!;
    expect(failed).toMatchObject({ degg_serial: B().deggSerial, pmt: 'camera2', value: null, units: 'ADU' });
    expect(failed.reason).toMatch(new RegExp(`^${B().deggSerial} camera2 camera dark rate .*: camera 2 .*initCamera: FAIL`));

    // the D-Egg file entries
    const entryA = deggJson(env.dir, A().deggSerial).camera_darknoise_00 as Record<string, unknown>;
    expect(entryA).toMatchObject({ Folder: s.folder, Comment: 'FAT', Images: 2 });
    const camsA = entryA.Cameras as Record<string, { CameraID: string; DarkRate: number; Settings: unknown[] }>;
    expect(Object.keys(camsA)).toEqual(['1', '2', '3']);
    expect(camsA['1'].CameraID).toBe(A().cameras[0].id);
    expect(camsA['1'].Settings).toHaveLength(6);
    const entryB = deggJson(env.dir, B().deggSerial).camera_darknoise_00 as {
      Cameras: Record<string, { Error?: string; Settings: unknown[] }>;
    };
    expect(entryB.Cameras['2'].Error).toContain('initCamera: FAIL');
    expect(entryB.Cameras['2'].Settings).toEqual([]);
    expect(entryB.Cameras['3'].Error).toBeUndefined();

    // the files: <folder>/<serial>_<id>_<gain>_<ms>/ with the .RAW.gz frames, and a summary beside it
    expect(path.basename(path.dirname(s.folder))).toBe('camera_darknoise');
    const x = s.modules[0].cameras[0].settings[1];
    const name = `${A().deggSerial}_${A().cameras[0].id}_0_200`;
    expect(x.file).toBe(path.join(s.folder, `${name}.hdf5`));
    expect(x.imagesFolder).toBe(path.join(s.folder, name));
    const frames = fs.readdirSync(x.imagesFolder).sort();
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(new RegExp(`^${name.replace(/_0_200$/, '')}_\\d+_0_200ms_0\\.RAW\\.gz$`));
    const h = await readHdf5(x.file);
    expect(h.attrs).toMatchObject({ degg: A().deggSerial, camera: 1, camera_id: A().cameras[0].id, gain: 0, exposure_ms: 200, frames: 2 });
    expect(h.datasets.image_files.value).toEqual(frames);
    const [bytes, pyMean] = execFileSync('python3', ['-c', PY_FRAME_MEAN, path.join(x.imagesFolder, frames[0])], { encoding: 'utf8' })
      .trim()
      .split(' ')
      .map(Number);
    expect(bytes).toBe(1312 * 993 * 2);
    expect(pyMean).toBeCloseTo((h.datasets.frame_mean_adu.value as Float64Array)[0], 6);
    const dump = execFileSync('h5dump', ['-a', '/pedestal_adu', x.file], { encoding: 'utf8' });
    // h5dump prints 6 significant digits
    expect(Number(/\(0\): ([\d.]+)/.exec(dump)![1])).toBeCloseTo(x.pedestalAdu, 2);
  }, 180_000);

  /** a fault added or removed through the simulator's control port, as `fat sim start --fault KIND:TARGET` adds one */
  const faults = (body: object) =>
    fetch(`http://127.0.0.1:${env.lab.ports.control}/faults`, { method: 'POST', body: JSON.stringify(body) }).then((x) => x.status);

  it('fat measure pattern: the pattern shows with the light of the truth; the dead camera and a dark LED fail their camera only', async () => {
    expect(await faults({ add: `dark-camera-led:${A().port}/3` })).toBe(200);
    try {
      const r = await env.run(['measure', 'pattern', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`no pattern: ${A().deggSerial} camera 3, ${B().deggSerial} camera 2`);
      const s = JSON.parse(r.stdout) as PatternRun;
      for (const m of s.modules) {
        const tm = truth.modules.find((x) => x.port === m.port)!;
        for (const c of m.cameras) {
          const who = `${m.serial} camera ${c.camera}`;
          if (m.port === A().port && c.camera === 3) {
            expect(c.pass, who).toBe(false);
            expect(c.reason).toMatch(/^no exposure shows the pattern: 33 ms: no two separate levels/);
            continue;
          }
          if (m.port === B().port && c.camera === 2) {
            expect(c.pass, who).toBeNull();
            expect(c.reason).toContain('initCamera: FAIL');
            continue;
          }
          const tc = tm.cameras[c.camera - 1];
          expect(c.pass, who).toBe(true);
          expect(c.cameraId).toBe(tc.id);
          const shown = c.frames.filter((f) => f.shows);
          expect(shown.length, who).toBeGreaterThan(2);
          // bright squares minus dark ones: 95 % of the LED's light (the dark squares return 5 %)
          for (const f of shown)
            expect(Math.abs(f.highAdu - f.lowAdu - 0.95 * tc.patternAduPerMs * f.exposureMs), `${who} ${f.exposureMs} ms`).toBeLessThan(
              0.01 * tc.patternAduPerMs * f.exposureMs + 0.5,
            );
          const raw = path.join(path.dirname(c.file!), `${m.serial}_${tc.id}`, `${m.serial}_${tc.id}_1000ms.RAW`);
          expect(fs.statSync(raw).size).toBe(1312 * 993 * 2);
          const h = await readHdf5(c.file!);
          expect(h.attrs).toMatchObject({ pass: 1, camera: c.camera, enable_mask: 3 << (2 * (c.camera - 1)) });
        }
      }
      const rows = query<{ degg_serial: string; pmt: string; verdict: string; reason: string }>(
        env.dir,
        "select degg_serial, pmt, verdict, reason from results where name = 'camera.pattern' order by id",
      );
      expect(rows.filter((x) => x.verdict === 'pass')).toHaveLength(4);
      expect(rows.filter((x) => x.verdict === 'fail').map((x) => `${x.degg_serial} ${x.pmt}`)).toEqual([
        `${A().deggSerial} camera3`,
        `${B().deggSerial} camera2`,
      ]);
      expect(deggJson(env.dir, A().deggSerial).camera_pattern_00).toMatchObject({ Folder: s.folder, Comment: 'FAT test' });

      // B's verdict fails for its camera 2 alone; A's only for the pattern of camera 3
      const res = JSON.parse((await env.run(['results', '--json'])).stdout) as {
        modules: Array<{ serial: string; verdict: string; reasons: string[] }>;
      };
      const b = res.modules.find((x) => x.serial === B().deggSerial)!;
      expect(b.verdict).toBe('fail');
      expect(b.reasons).toHaveLength(2);
      for (const why of b.reasons)
        expect(why).toMatch(new RegExp(`^${B().deggSerial} camera2 camera (dark rate|pattern) .*initCamera: FAIL`));
      const a = res.modules.find((x) => x.serial === A().deggSerial)!;
      expect(a.reasons).toHaveLength(1);
      expect(a.reasons[0]).toMatch(new RegExp(`^${A().deggSerial} camera3 camera pattern .*: no exposure shows the pattern`));
    } finally {
      expect(await faults({ remove: `dark-camera-led:${A().port}/3` })).toBe(200);
    }
  }, 120_000);

  it('fat measure camera: a camera whose gzipped frames do not unpack fails alone, its frame kept on disk as it came', async () => {
    expect(await faults({ add: `corrupt-camera-image:${A().port}/3` })).toBe(200);
    try {
      const r = await env.run(['measure', 'camera', '--images', '2', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${A().deggSerial} camera 3`);
      const s = JSON.parse(r.stdout) as CameraRun;
      const a = s.modules.find((m) => m.port === A().port)!;
      expect(a.cameras.map((c) => c.verdict)).toEqual(['pass', 'pass', 'fail']);
      const why = /failed at gain 0, 33 ms: frame 0 came back as a broken gzip stream \((.+)\); it is kept as (\S+\.RAW\.gz);/.exec(
        a.cameras[2].error ?? '',
      );
      expect(why, a.cameras[2].error).not.toBeNull();
      const kept = path.join(s.folder, `${A().deggSerial}_${A().cameras[2].id}_0_33`, why![2]);
      const bytes = fs.readFileSync(kept);
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // a gzip stream's start, as sent
      expect(() => gunzipSync(bytes)).toThrow(why![1]);
    } finally {
      expect(await faults({ remove: `corrupt-camera-image:${A().port}/3` })).toBe(200);
    }
  }, 120_000);
});

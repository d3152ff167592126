import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darkLevelAdu } from '../../src/sim/camera-model.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, masterStates, query, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The camera tasks of the standard FAT under `fat master` (on one module of the run, the others
 * excluded, to keep the frames few): measure_camera, disable_all_lights, measure_pattern,
 * disable_all_lights and camera_file_checker complete, leave the original's D-Egg entries and
 * per-camera results judged by the goalposts, and the camera folders are copied where the
 * station file says. A later check after frames went missing names what is missing.
 */
const files = (dir: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();

describe('the camera tasks under fat master', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const M = () => env.lab.truth.modules[0];

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.camerasMaster, { timeScale: 1000 });
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n[cameras]\ncopy_to = "camera-upload"\n');
    await setupRun(env.run);
    const out = await Promise.all(
      env.lab.truth.modules.slice(1).map((m) => env.run(['exclude', String(m.port), '--reason', 'the camera test measures one module'])),
    );
    for (const o of out) expect(o.code, o.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => env?.close(), 30_000);

  it('the five camera sections complete with the D-Egg entries, per-camera verdicts and the copy', async () => {
    const ini = writeSchedule(env.dir, 'cameras', [
      { name: 'measure_camera_0', task: 'measure_camera', comment: 'FAT', n_jobs: 4, plot: true, test: false, n_images: 2 },
      { name: 'disable_all_lights_0', task: 'disable_all_lights' },
      { name: 'measure_pattern_0', task: 'measure_pattern', comment: 'FAT test', n_jobs: 4 },
      { name: 'disable_all_lights_1', task: 'disable_all_lights' },
      { name: 'camera_file_checker_0', task: 'camera_file_checker' },
    ]);
    const r = await env.run(['master', ini]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(Object.values(masterStates(env.dir))).toEqual([1, 1, 1, 1, 1]);
    expect(out).toContain(`Camera Lights disabled for ${M().port}`);
    expect(out).toContain('camera_darknoise - All camera files found!');
    expect(out).toContain('camera_pattern - All camera files found!');
    expect(out).toContain('Copying finished: camera_darknoise');
    expect(out).toContain('Copying finished: camera_pattern');

    // the original's entries: one per measurement at the top of the D-Egg file, none for the others
    const doc = deggJson(env.dir, M().deggSerial);
    const dark = doc.camera_darknoise_00 as {
      Folder: string;
      Comment: string;
      Cameras: Record<string, { CameraID: string; DarkRate: number }>;
    };
    const pattern = doc.camera_pattern_00 as { Folder: string; Comment: string; Cameras: Record<string, { Pass: boolean }> };
    expect(dark.Comment).toBe('FAT');
    expect(pattern.Comment).toBe('FAT test');
    expect(Object.keys(doc).filter((k) => /camera|light/i.test(k) && /_\d\d$/.test(k))).toEqual([
      'camera_darknoise_00',
      'camera_pattern_00',
    ]);
    for (const [i, c] of M().cameras.entries()) {
      expect(dark.Cameras[String(i + 1)].CameraID).toBe(c.id);
      expect(Math.abs(dark.Cameras[String(i + 1)].DarkRate - darkLevelAdu(c, 0, 3700))).toBeLessThan(0.2);
      expect(pattern.Cameras[String(i + 1)].Pass).toBe(true);
    }

    const rows = query<{ name: string; pmt: string; verdict: string; value: number }>(
      env.dir,
      "select name, pmt, verdict, value from results where name like 'camera.%' order by id",
    );
    const of = (name: string) => rows.filter((x) => x.name === name);
    expect(of('camera.dark_rate').map((x) => [x.pmt, x.verdict])).toEqual([
      ['camera1', 'pass'],
      ['camera2', 'pass'],
      ['camera3', 'pass'],
    ]);
    expect(of('camera.pattern').map((x) => [x.pmt, x.verdict, x.value])).toEqual([
      ['camera1', 'pass', 1],
      ['camera2', 'pass', 1],
      ['camera3', 'pass', 1],
    ]);
    // one row per camera from each of the two disable_all_lights tasks
    expect(of('camera.lights_off').map((x) => `${x.pmt} ${x.verdict} ${x.value}`)).toEqual(
      ['camera1', 'camera2', 'camera3', 'camera1', 'camera2', 'camera3'].map((c) => `${c} info 1`),
    );
    expect(of('camera.files').map((x) => [x.pmt, x.verdict, x.value])).toEqual([
      ['camera1', 'info', 1],
      ['camera2', 'info', 1],
      ['camera3', 'info', 1],
    ]);

    // copied to <copy_to>/run_00001/<type>/<folder>, every file
    for (const folder of [dark.Folder, pattern.Folder]) {
      const copy = path.join(env.dir, 'camera-upload', 'run_00001', path.basename(path.dirname(folder)), path.basename(folder));
      expect(files(copy)).toEqual(files(folder));
      expect(files(copy).length).toBeGreaterThan(20);
    }
    const v = JSON.parse((await env.run(['results', '--module', M().deggSerial, '--json'])).stdout) as {
      modules: Array<{ verdict: string }>;
    };
    expect(v.modules[0].verdict).toBe('pass');
  }, 180_000);

  it('camera_file_checker names the frames that went missing, camera by camera', async () => {
    const dark = deggJson(env.dir, M().deggSerial).camera_darknoise_00 as { Folder: string };
    const c2 = M().cameras[1].id;
    const gone = fs.readdirSync(path.join(dark.Folder, `${M().deggSerial}_${c2}_0_500`))[0];
    fs.rmSync(path.join(dark.Folder, `${M().deggSerial}_${c2}_0_500`, gone));
    const pattern = deggJson(env.dir, M().deggSerial).camera_pattern_00 as { Folder: string };
    const c3 = M().cameras[2].id;
    fs.truncateSync(path.join(pattern.Folder, `${M().deggSerial}_${c3}`, `${M().deggSerial}_${c3}_200ms.RAW`), 1000);

    const ini = writeSchedule(env.dir, 'check', [{ name: 'camera_file_checker_0', task: 'camera_file_checker', skip_copy: true }]);
    const r = await env.run(['master', ini]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain('camera_darknoise - 2 / 3 found');
    expect(out).toContain('camera_pattern - 2 / 3 found');
    expect(out).toContain(`${M().deggSerial} is missing files for camera (N_found=2). See: camera_darknoise. camera 2: `);
    expect(out).toContain(gone);
    expect(out).toMatch(new RegExp(`camera 3: \\S+_${c3}_200ms\\.RAW \\(1000 bytes\\)`));
    expect(out).not.toContain('Copying finished');
    const rows = query<{ pmt: string; value: number; detail: string }>(
      env.dir,
      "select pmt, value, detail from results where name = 'camera.files' order by id desc limit 3",
    ).reverse();
    expect(rows.map((x) => [x.pmt, x.value])).toEqual([
      ['camera1', 1],
      ['camera2', 0],
      ['camera3', 0],
    ]);
    const missing = (JSON.parse(rows[1].detail) as { missing: { camera_darknoise: string[]; camera_pattern: string[] } }).missing;
    expect(missing.camera_darknoise).toHaveLength(1);
    expect(missing.camera_darknoise[0]).toContain(gone);
    expect(missing.camera_pattern).toEqual([]);
  }, 120_000);
});

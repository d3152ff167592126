import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runName } from '../records/run-files.js';
import { readDoc } from '../records/json-docs.js';
import { CAMERA_IMAGE_BYTES, CAMERA_NUMBERS, type CameraNumber } from '../lab/iceboot/cameras.js';
import { readHdf5 } from '../store/hdf5.js';
import { cameraColumn } from './camera-common.js';
import { DARK_SETTINGS } from './measure-camera.js';
import { PATTERN_EXPOSURES_MS } from './measure-pattern.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { iniBool } from './values.js';

/**
 * `camera_file_checker` (utils/camera_checker.py): are the files of the latest camera dark-noise
 * and pattern measurements all there, for every camera of every module? The original globbed
 * for three tarballs per module; icefat reads each camera's summary file and checks every frame
 * it lists (six settings of dark frames, six raw pattern frames). Then, unless `skip_copy`, it
 * copies both measurement folders to `[cameras] copy_to` of the station file (the original ran a
 * site script that uploaded them), as `<copy_to>/run_NNNNN/<type>/<YYYYMMDD_NN>/`.
 */
const params = z.object({ skip_copy: iniBool(false) });
type P = z.infer<typeof params>;

const MEASUREMENTS = ['camera_darknoise', 'camera_pattern'] as const;
type Measurement = (typeof MEASUREMENTS)[number];

/** the newest `<name>_NN` entry of a D-Egg file that an interrupted attempt did not leave behind */
function latestEntry(doc: Record<string, unknown>, name: string): Record<string, unknown> | null {
  const keys = Object.keys(doc)
    .filter((k) => new RegExp(`^${name}_\\d{2,4}$`).test(k))
    .sort();
  for (const k of keys.reverse()) {
    const e = doc[k] as Record<string, unknown> | null;
    if (e && typeof e === 'object' && e.Superseded === undefined) return e;
  }
  return null;
}

/** what is missing of one camera's files of one measurement (empty: complete) */
async function missingFiles(entry: Record<string, unknown> | null, m: Measurement, cam: CameraNumber): Promise<string[]> {
  if (!entry) return [`no ${m} entry`];
  if (typeof entry.Folder !== 'string' || entry.Folder === 'None')
    return [`${m} has no folder (${typeof entry.Error === 'string' ? entry.Error : 'error during data taking'})`];
  const c = (entry.Cameras as Record<string, Record<string, unknown>> | undefined)?.[String(cam)];
  if (!c) return [`no camera ${cam} in ${m}`];
  const summaries =
    m === 'camera_darknoise'
      ? ((c.Settings as Array<{ Filename?: string }> | undefined) ?? []).map((x) => x.Filename)
      : [c.Filename as string | undefined];
  const wanted = m === 'camera_darknoise' ? DARK_SETTINGS.length : 1;
  const missing: string[] = [];
  if (summaries.length < wanted)
    missing.push(
      `${wanted - summaries.length} of ${wanted} summary files never written${typeof c.Error === 'string' ? ` (${c.Error})` : ''}`,
    );
  for (const file of summaries) {
    if (!file) continue;
    let h: Awaited<ReturnType<typeof readHdf5>>;
    try {
      h = await readHdf5(file);
    } catch (e) {
      missing.push((e as Error).message);
      continue;
    }
    const folder = path.join(path.dirname(file), String(h.attrs.images_folder));
    const images = (h.datasets.image_files?.value as string[] | undefined) ?? [];
    const expected = m === 'camera_pattern' ? PATTERN_EXPOSURES_MS.length : Number(h.attrs.frames);
    if (images.length < expected) missing.push(`${file} lists ${images.length} of ${expected} frames`);
    for (const img of images) {
      const f = path.join(folder, img);
      const size = fs.existsSync(f) ? fs.statSync(f).size : -1;
      if (size < 0) missing.push(f);
      else if (m === 'camera_pattern' ? size !== CAMERA_IMAGE_BYTES : size === 0) missing.push(`${f} (${size} bytes)`);
    }
  }
  return missing;
}

/** copies `folder` to `<dest>/<run>/<type>/<name>` through a `.partial` sibling */
async function copyFolder(folder: string, dest: string, run: string): Promise<string> {
  const target = path.join(dest, run, path.basename(path.dirname(folder)), path.basename(folder));
  const partial = `${target}.partial`;
  await fs.promises.rm(partial, { recursive: true, force: true });
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.cp(folder, partial, { recursive: true });
  await fs.promises.rm(target, { recursive: true, force: true });
  await fs.promises.rename(partial, target);
  return target;
}
/** unless skip_copy, copies every measurement folder to `[cameras] copy_to` */
async function copyCameraFiles(ctx: TaskContext, p: P, folders: Map<string, Measurement>): Promise<{ copied: string[]; copyNote: string }> {
  const ws = ctx.ws;
  const copied: string[] = [];
  let copyNote = 'skip_copy: nothing copied';
  if (!p.skip_copy) {
    const to = ws.station.cameras.copy_to;
    if (!to) {
      copyNote = 'no [cameras] copy_to in station.toml: the camera files stay in the data folder only';
      ctx.emit({ level: 'warn', kind: 'camera.files-not-copied', message: `Camera files not copied: ${copyNote}`, audience: 'channel' });
    } else {
      const dest = path.resolve(ws.home.dir, to);
      ctx.emit({ level: 'info', kind: 'camera.files-copy', message: 'DAQ paused - uploading camera files', audience: 'channel' });
      try {
        // a missing folder outside the home is usually a share that is not mounted: never fill the local disk instead
        if (path.relative(ws.home.dir, dest).startsWith('..') && !fs.existsSync(dest))
          throw new Error(`${dest} does not exist (is the share mounted?)`);
        for (const [folder, name] of folders) {
          copied.push(await copyFolder(folder, dest, runName(ctx.run.number)));
          ctx.emit({ level: 'info', kind: 'camera.files-copy', message: `Copying finished: ${name}`, audience: 'channel' });
        }
        copyNote = `copied to ${dest}`;
      } catch (e) {
        copyNote = `copy to ${dest} failed: ${(e as Error).message}; the files are still in the data folder: copy them by hand`;
        ctx.emit({
          level: 'warn',
          kind: 'camera.files-not-copied',
          message: `Error copying camera files: ${copyNote}`,
          audience: 'people',
        });
      }
    }
  }
  return { copied, copyNote };
}

export const kind: TaskKind<P> = {
  name: 'camera_file_checker',
  summary: 'check that every camera file of the latest camera measurements is there, then copy them',
  quantities: ['camera.files'],
  params,
  positional: ['skip_copy'],
  estimateS: (_p, modules) => 5 + modules,
  async run(ctx, p) {
    if (!ctx.modules.length) throw new Error('camera_file_checker: the run has no active modules');
    const found: Record<Measurement, number> = { camera_darknoise: 0, camera_pattern: 0 };
    // every folder the latest entries point at (a re-run of one module may have its own)
    const folders = new Map<string, Measurement>();
    const modules: Array<{
      port: number;
      serial: string;
      cameras: Array<{ camera: CameraNumber; missing: Record<Measurement, string[]> }>;
    }> = [];
    const byPort = [...ctx.modules].sort((a, b) => a.port - b.port);
    for (const m of byPort) {
      ctx.signal.throwIfAborted();
      const doc = await readDoc(ctx.ws, m.jsonFile);
      const entries = Object.fromEntries(MEASUREMENTS.map((name) => [name, latestEntry(doc, name)])) as Record<
        Measurement,
        Record<string, unknown> | null
      >;
      const cameras: (typeof modules)[number]['cameras'] = [];
      for (const cam of CAMERA_NUMBERS) {
        const missing = {} as Record<Measurement, string[]>;
        for (const name of MEASUREMENTS) {
          missing[name] = await missingFiles(entries[name], name, cam);
          if (!missing[name].length) found[name]++;
          const folder = entries[name]?.Folder;
          if (typeof folder === 'string' && folder !== 'None' && fs.existsSync(folder)) folders.set(folder, name);
        }
        cameras.push({ camera: cam, missing });
      }
      modules.push({ port: m.port, serial: m.serial, cameras });
      warnMissing(ctx, m, cameras);
    }
    const expected = CAMERA_NUMBERS.length * byPort.length;
    const counts = MEASUREMENTS.map((name) => {
      const message = found[name] === expected ? `${name} - All camera files found!` : `${name} - ${found[name]} / ${expected} found`;
      ctx.emit({
        level: found[name] === expected ? 'info' : 'warn',
        kind: 'camera.files',
        message,
        audience: 'channel',
        data: { measurement: name },
      });
      return { measurement: name, found: found[name], expected, message };
    });

    const { copied, copyNote } = await copyCameraFiles(ctx, p, folders);
    await ctx.record.results(
      'camera_file_checker',
      null,
      modules.flatMap((r) =>
        r.cameras.map((c) => ({
          port: r.port,
          serial: r.serial,
          pmt: cameraColumn(c.camera),
          name: 'camera.files',
          value: MEASUREMENTS.every((name) => !c.missing[name].length) ? 1 : 0,
          detail: { missing: c.missing, copied: copied.length > 0 },
        })),
      ),
    );
    return { counts, modules, copied, copyNote };
  },
};

function warnMissing(
  ctx: TaskContext,
  m: ActiveModule,
  cameras: Array<{ camera: CameraNumber; missing: Record<Measurement, string[]> }>,
): void {
  for (const name of MEASUREMENTS) {
    const bad = cameras.filter((c) => c.missing[name].length);
    if (!bad.length) continue;
    ctx.emit({
      level: 'warn',
      kind: 'camera.files-missing',
      message: `${m.serial} is missing files for camera (N_found=${CAMERA_NUMBERS.length - bad.length}). See: ${name}. ${bad
        .map(
          (c) =>
            `camera ${c.camera}: ${c.missing[name].slice(0, 3).join('; ')}${c.missing[name].length > 3 ? ` and ${c.missing[name].length - 3} more` : ''}`,
        )
        .join(' | ')}. Please log this event.`,
      audience: 'people',
      data: { port: m.port, measurement: name },
    });
  }
}

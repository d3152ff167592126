import type { CameraSummary, ModuleSummary } from '../tasks/measure-camera.js';
import { CliError } from './common.js';
import { measureCommand, type MeasureCommand, type ModuleFailure } from './measure-run.js';

const tag = (verdict: string | undefined) => `[${(verdict ?? 'fail').toUpperCase()}]`.padEnd(10);

function cameraLine(m: ModuleSummary, c: CameraSummary): string {
  const head = `  ${tag(c.verdict)} port ${m.port} ${m.serial} camera ${c.camera}${c.cameraId ? ` (id ${c.cameraId})` : ''}`;
  if (c.error) return `${head}: ${c.error}`;
  const hot = c.settings.find((x) => x.gain === 0 && x.exposureMs === 3700)?.hotPixels.length ?? 0;
  return `${head}: dark rate ${c.darkRateAdu?.toFixed(1)} ADU (pedestal at gain 0, 3700 ms), ${hot} hot pixel(s)${c.reason ? `; ${c.reason}` : ''}`;
}

/** throws the modules that could not be measured and the cameras that did not pass */
function checkCameras(failures: ModuleFailure[], bad: string[], what: string): void {
  if (failures.length || bad.length)
    throw new CliError(
      [failures.length ? `${failures.length} module(s) could not be measured` : '', bad.length ? `${what}: ${bad.join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
    );
}

/** `fat measure camera | pattern`: the camera tests of the FAT, each on its own. */
export function registerCameraMeasurements(measure: MeasureCommand): void {
  measureCommand(measure, {
    name: 'camera',
    description: 'camera dark noise: 3 cameras x 6 gain/exposure settings, HV and laser off (the original measure_camera)',
    kind: () => import('../tasks/measure-camera.js').then((m) => m.kind),
    options: [{ param: 'comment', default: 'FAT' }, 'n_images', 'test'],
    quiet: /camera frames$/,
    lines: (r, run) => [
      `Camera dark noise (${r.images} frames per setting, ${r.longImages} at 3700 ms), run ${run}, data in ${r.folder}:`,
      ...r.modules.flatMap((m) => m.cameras.map((c) => cameraLine(m, c))),
    ],
    check: (r) =>
      checkCameras(
        r.failures,
        r.modules.flatMap((m) => m.cameras.filter((c) => c.verdict !== 'pass').map((c) => `${m.serial} camera ${c.camera}`)),
        'not passed',
      ),
  });

  measureCommand(measure, {
    name: 'pattern',
    description: 'camera pattern: each camera with its LED on, 6 exposures, HV and laser off (the original measure_pattern)',
    kind: () => import('../tasks/measure-pattern.js').then((m) => m.kind),
    options: [{ param: 'comment', default: 'FAT test' }],
    quiet: /pattern frames$/,
    lines: (r, run) => [
      `Camera pattern, run ${run}, data in ${r.folder}:`,
      ...r.modules.flatMap((m) =>
        m.cameras.map(
          (c) =>
            `  ${tag(c.verdict)} port ${m.port} ${m.serial} camera ${c.camera}${c.cameraId ? ` (id ${c.cameraId})` : ''}: ${
              c.pass
                ? `the pattern shows at ${c.frames
                    .filter((f) => f.shows)
                    .map((f) => `${f.exposureMs} ms`)
                    .join(', ')}`
                : c.reason
            }`,
        ),
      ),
    ],
    check: (r) =>
      checkCameras(
        r.failures,
        r.modules.flatMap((m) => m.cameras.filter((c) => c.pass !== true).map((c) => `${m.serial} camera ${c.camera}`)),
        'no pattern',
      ),
  });
}

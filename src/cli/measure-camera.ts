import type { Command } from '@commander-js/extra-typings';
import type { CameraSummary, ModuleSummary } from '../tasks/measure-camera.js';
import type { PatternCamera } from '../tasks/measure-pattern.js';
import { CliError, emit, withWorkspace } from './common.js';
import { checkJobs, failureLines, measureCommand, runMeasurement, type ModuleFailure } from './measure-run.js';
import { intOption } from './parse.js';

// loaded when the command runs, so `fat --help` stays light
const measureCamera = () => import('../tasks/measure-camera.js').then((m) => m.kind);
const measurePattern = () => import('../tasks/measure-pattern.js').then((m) => m.kind);

interface CameraRun {
  folder: string;
  images: number;
  longImages: number;
  modules: ModuleSummary[];
  failures: ModuleFailure[];
}

interface PatternRun {
  folder: string;
  modules: Array<{ port: number; serial: string; cameras: PatternCamera[] }>;
  failures: ModuleFailure[];
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type MeasureCommand = Command<[], {}, { home?: string }>;

const tag = (verdict: string | undefined) => `[${(verdict ?? 'fail').toUpperCase()}]`.padEnd(10);

function cameraLine(m: ModuleSummary, c: CameraSummary): string {
  const head = `  ${tag(c.verdict)} port ${m.port} ${m.serial} camera ${c.camera}${c.cameraId ? ` (id ${c.cameraId})` : ''}`;
  if (c.error) return `${head}: ${c.error}`;
  const hot = c.settings.find((x) => x.gain === 0 && x.exposureMs === 3700)?.hotPixels.length ?? 0;
  return `${head}: dark rate ${c.darkRateAdu?.toFixed(1)} ADU (pedestal at gain 0, 3700 ms), ${hot} hot pixel(s)${c.reason ? `; ${c.reason}` : ''}`;
}

/** `fat measure camera | pattern`: the camera tests of the FAT, each on its own. */
export function registerCameraMeasurements(measure: MeasureCommand): void {
  measureCommand(
    measure,
    'camera',
    'camera dark noise: 3 cameras x 6 gain/exposure settings, HV and laser off (the original measure_camera)',
  )
    .option('--comment <text>', 'comment for the record', 'FAT')
    .option('--images <n>', 'frames per setting (a third of it at 3700 ms, at least 2)', intOption('--images'), 30)
    .option('--test', 'measure only the first module (by port), as the original test mode')
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(
          ws,
          runArg,
          measureCamera,
          { comment: opts.comment, n_jobs: opts.jobs, n_images: opts.images, test: Boolean(opts.test) },
          (note) => /camera frames$/.test(note),
        );
        const r = result as CameraRun;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Camera dark noise (${r.images} frames per setting, ${r.longImages} at 3700 ms), run ${run.number}, data in ${r.folder}:`,
          ...r.modules.flatMap((m) => m.cameras.map((c) => cameraLine(m, c))),
          ...failureLines(r.failures),
        ]);
        const bad = r.modules.flatMap((m) => m.cameras.filter((c) => c.verdict !== 'pass').map((c) => `${m.serial} camera ${c.camera}`));
        if (r.failures.length || bad.length)
          throw new CliError(
            [
              r.failures.length ? `${r.failures.length} module(s) could not be measured` : '',
              bad.length ? `not passed: ${bad.join(', ')}` : '',
            ]
              .filter(Boolean)
              .join('; '),
          );
      }),
    );

  measureCommand(
    measure,
    'pattern',
    'camera pattern: each camera with its LED on, 6 exposures, HV and laser off (the original measure_pattern)',
  )
    .option('--comment <text>', 'comment for the record', 'FAT test')
    .option('--json', 'print JSON')
    .action(async (runArg, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        checkJobs(opts.jobs);
        const { run, result } = await runMeasurement(ws, runArg, measurePattern, { comment: opts.comment, n_jobs: opts.jobs }, (note) =>
          /pattern frames$/.test(note),
        );
        const r = result as PatternRun;
        emit(opts.json, { run: run.number, ...r }, () => [
          `Camera pattern, run ${run.number}, data in ${r.folder}:`,
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
          ...failureLines(r.failures),
        ]);
        const bad = r.modules.flatMap((m) => m.cameras.filter((c) => c.pass !== true).map((c) => `${m.serial} camera ${c.camera}`));
        if (r.failures.length || bad.length)
          throw new CliError(
            [
              r.failures.length ? `${r.failures.length} module(s) could not be measured` : '',
              bad.length ? `no pattern: ${bad.join(', ')}` : '',
            ]
              .filter(Boolean)
              .join('; '),
          );
      }),
    );
}

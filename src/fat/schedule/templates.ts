import { standard } from './standard-template.js';

/**
 * Schedule templates in icefat's INI format (parameters by name), written the way
 * create_fat_config.py built the original's: one small helper per building block, phases as plain
 * loops, section names `<task>_<count>` (`bootmon_<n>_<mode>`, `trigger_remote_wrapper_<analysis>_<n>`).
 */
export type TemplateName = 'example' | 'standard';
export const TEMPLATE_NAMES: TemplateName[] = ['example', 'standard'];

type Value = string | number | boolean;

interface AddOptions {
  backup?: boolean;
  /** goes into the section name, as the original did for bootmon (after the count) and remote analyses (before it) */
  tag?: string;
  tagFirst?: boolean;
  /** the section's base name when it is not the task's (the original's dummy_wrapper is icefat's set_freezer) */
  base?: string;
  /** the section's number when it is not the next of its kind */
  count?: number;
}

export class Plan {
  private readonly out: string[] = [];
  private readonly counts = new Map<string, number>();

  constructor(title: string, runFile: string, verbose: boolean) {
    this.out.push(`# ${title}`, '# written by `fat schedule create`; check it with `fat schedule check FILE`', '');
    this.out.push('[constants]', `run_file = ${runFile}`, `verbose = ${verbose}`);
  }

  phase(text: string): void {
    this.out.push('', `# ---- ${text}`);
  }

  /** How many sections of this base name (and tag) were added so far. */
  count(base: string, tag?: string): number {
    return this.counts.get(tag === undefined ? base : `${base}/${tag}`) ?? 0;
  }

  add(task: string, params: Record<string, Value> = {}, opts: AddOptions = {}): void {
    const base = opts.base ?? task;
    const key = opts.tag === undefined ? base : `${base}/${opts.tag}`;
    const n = opts.count ?? this.count(base, opts.tag);
    this.counts.set(key, this.count(base, opts.tag) + 1);
    const section = opts.tag === undefined ? `${base}_${n}` : opts.tagFirst ? `${base}_${opts.tag}_${n}` : `${base}_${n}_${opts.tag}`;
    this.out.push('', `[${section}]`, `task = ${task}`);
    for (const [k, v] of Object.entries(params)) this.out.push(`${k} = ${String(v)}`);
    if (opts.backup) this.out.push('run_backup = true');
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

function example(p: Plan): void {
  p.add('wait_time', { pause: 60 });
  p.add('readout_and_reboot', { comment: 'before the measurements', set_time: 600 });
  p.add('measure_stf', { comment: 'example', n_jobs: 4 }, { backup: true });
  p.add('measure_gain', { comment: 'example gain 1', n_jobs: 4, resume: false });
  p.add('measure_gain', { comment: 'example gain 2', n_jobs: 4, resume: false });
  p.add('measure_scaler', { comment: 'FAT 1', n_jobs: 4, use_alt_thresholds: false, no_hv: false, use_fir: true });
  p.add('measure_linearity', { comment: '10 fw settings, 100 Hz', n_jobs: 4 });
  p.add('measure_pulsed_waveform', { comment: 'long waveform, 100 Hz', strength0: 0.05, strength1: 1.0, n_jobs: 4, mode: 'double' });
  p.add('measure_baseline_flasher', { comment: 'FAT test', n_jobs: 4 }, { backup: true });
  p.add('readout_and_reboot', { comment: 'after the measurements', set_time: 600 }, { backup: true });
  p.add('manual_input', { message: 'Example schedule finished: check the results. Continue?' });
}

/**
 * The INI text of a template; `runFile` is written as given (use an absolute path). `hv: false`
 * is the original generator's `--no_hv` (the warm-up without HV), `verbose` its `-v`.
 */
export function scheduleTemplate(name: TemplateName, runFile: string, opts: { hv?: boolean; verbose?: boolean } = {}): string {
  if (name === 'example') {
    const p = new Plan('icefat schedule: the seed example (short, about a day of lab time for 16 modules)', runFile, opts.verbose ?? true);
    example(p);
    return p.text();
  }
  const hv = opts.hv ?? true;
  const p = new Plan(
    `icefat schedule: the standard FAT, task for task as create_fat_config.py writes it${hv ? '' : ' with --no_hv'} (one to two weeks)`,
    runFile,
    opts.verbose ?? false,
  );
  standard(p, hv);
  return p.text();
}

import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { z } from 'zod';
import type { Goalposts } from '../records/goalposts-file.js';
import type { TaskKind } from '../tasks/types.js';
import { iniTypes } from '../tasks/values.js';

/** A kind's parameter offered as an option: its name, or its name and what the command line does differently. */
export type KindOption =
  | string
  | {
      param: string;
      flags?: string;
      description?: string;
      /** the command line's default where the kind has none (a schedule must name it) */
      default?: unknown;
      /** a flag that sets the parameter to false */
      invert?: boolean;
    };

/** Flags whose name is not the parameter's; the others are `--kebab-case <n|x|text|param>` of the parameter. */
const FLAGS: Record<string, string> = {
  n_jobs: '-j, --jobs <n>',
  n_events: '--events <n>',
  n_runs: '--runs <n>',
  n_blocks: '--blocks <n>',
  n_images: '--images <n>',
  n_reads: '--reads <n>',
  f_strength: '--strength <s>',
  strength0: '--strength0 <s>',
  strength1: '--strength1 <s>',
  dac_value: '--dac <value>',
  span_volts: '--span <volts>',
  step_volts: '--step <volts>',
  use_fir: '--fir',
  use_alt_thresholds: '--alt-thresholds',
  resume: '-r, --resume',
  configuration: '--configuration <kind>',
};

/** Descriptions of the parameters every measurement has, where its kind gives none. */
const COMMON: Record<string, string> = {
  n_jobs: 'wire pairs measured in parallel',
  comment: 'comment for the record',
};

const PLACEHOLDER = { int: 'n', number: 'x', text: 'text' };

/**
 * Adds options for `params` of a kind to `cmd`, each from the kind's zod object: the type (from
 * iniTypes) gives the flag's value and choices, the kind's default and `.describe()` the help, and
 * the parameter's own schema checks a value as the option is read, so a bad value is an error that
 * names the flag. Returns what turns the parsed options into the kind's raw parameters.
 */
export function addKindOptions(
  cmd: { addOption(option: Option): unknown },
  kind: Pick<TaskKind, 'name'> & { params: z.ZodType },
  params: KindOption[],
): (opts: Record<string, unknown>) => Record<string, unknown> {
  const shape: Record<string, z.ZodType> = kind.params instanceof z.ZodObject ? kind.params.shape : {};
  const read = params.map((o) => {
    const { param, ...cli } = typeof o === 'string' ? { param: o } : o;
    const field = shape[param];
    if (!field) throw new Error(`${kind.name} has no parameter ${param}`);
    let inner = field;
    let def = field.meta()?.default;
    for (;;) {
      if (inner instanceof z.ZodDefault) def ??= inner.def.defaultValue;
      if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
      else break;
    }
    const type = iniTypes.get(inner);
    if (!type) throw new Error(`${kind.name}.${param} is not an ini value (values.ts)`);
    const value = type.type === 'bool' ? '' : ` <${type.type === 'choice' ? param : PLACEHOLDER[type.type]}>`;
    const description = cli.description ?? field.description ?? inner.description ?? COMMON[param];
    if (!description) throw new Error(`${kind.name}.${param} has no description for its option`);
    const opt = new Option(cli.flags ?? FLAGS[param] ?? `--${param.replaceAll('_', '-')}${value}`, description);
    if (type.type !== 'bool') {
      if (type.type === 'choice') opt.choices(type.values);
      opt.argParser((v: string) => {
        const r = field.safeParse(v);
        if (r.success) return r.data;
        throw new InvalidArgumentError(r.error.issues.map((i) => i.message).join('; '));
      });
      if ((cli.default ?? def) !== undefined) opt.default(cli.default ?? def);
    }
    cmd.addOption(opt);
    const key = opt.attributeName();
    const invert = opt.negate || cli.invert;
    return (opts: Record<string, unknown>) => [param, invert && opts[key] !== undefined ? !opts[key] : opts[key]] as const;
  });
  return (opts) => Object.fromEntries(read.map((r) => r(opts)).filter(([, v]) => v !== undefined));
}

/**
 * The help section naming what a kind records, from its declared quantities and the goalposts
 * file (units, description, limits): "Records:" and one line per quantity.
 */
export function quantitiesHelp(kind: Pick<TaskKind, 'quantities'>, goalposts: Goalposts): string {
  if (!kind.quantities?.length) return '';
  const width = Math.max(...kind.quantities.map((q) => q.length));
  const lines = kind.quantities.map((q) => {
    const g = goalposts.entries.get(q);
    if (!g) return `  ${q.padEnd(width)}  (no goalpost in ${goalposts.file})`;
    const units = g.units ? ` [${g.units}]` : '';
    const limits = g.low === undefined && g.high === undefined ? 'recorded, not judged' : `pass ${g.low ?? '-inf'} to ${g.high ?? 'inf'}`;
    return `  ${q.padEnd(width)}  ${g.description}${units}: ${limits}`;
  });
  return `\nRecords (judged against ${goalposts.file}, version ${goalposts.version}):\n${lines.join('\n')}\n`;
}

import type { IniEntry, IniSection } from './ini.js';
import type { ProblemCode, WarningCode } from './parse.js';

/**
 * The original scheduler calls `task(run_file, *values)`: a section's values in file order, by
 * position, whatever their keys say. So the n-th value is the n-th parameter of the task's real
 * signature (each kind's `positional`).
 *
 * The original's own generator slips there: run_timing's file has `comment, n_jobs, method,
 * overwrite, verbose` for `(comment, n_jobs, fStrength, method, overwrite, ...)`, so `method`
 * landed in fStrength and `overwrite` in method. When a key names a parameter other than the one
 * its position gives, icefat does what the keys say and warns, naming the section and line; the
 * file is not refused. A key that names no parameter at all is a label, as in the original: its
 * value goes by position (with a warning, as it may be a typo).
 */
export type Warn = (code: WarningCode, message: string, e: IniEntry, section: IniSection) => void;

export interface PositionalResult {
  /** parameter name -> the entry that gives it */
  entryOf: Map<string, IniEntry>;
  problems: Array<{ code: ProblemCode; message: string; entry: IniEntry }>;
}

/** configparser lower-cased the original's keys (ignoreWarn is written ignorewarn); icefat's names are snake_case */
const norm = (name: string) => name.toLowerCase().replace(/_/g, '');

export function readPositional(kindName: string, signature: string[], args: IniEntry[], section: IniSection, warn: Warn): PositionalResult {
  const entryOf = new Map<string, IniEntry>();
  const problems: PositionalResult['problems'] = [];
  const sig = signature.length ? signature.join(', ') : 'nothing';
  args.slice(signature.length).forEach((e, i) =>
    problems.push({
      code: 'too-many-arguments',
      message: `${kindName} takes ${sig} after run_file; this is argument ${signature.length + i + 1}`,
      entry: e,
    }),
  );
  const inRange = args.slice(0, signature.length);
  const named = inRange.map((e) => signature.find((p) => norm(p) === norm(e.key)));
  const slips = inRange.flatMap((e, i) => (named[i] !== undefined && named[i] !== signature[i] ? [{ e, at: signature[i] }] : []));
  inRange.forEach((e, i) => {
    const byName = named[i];
    if (byName === undefined)
      warn(
        'label',
        `"${e.key}" is not a parameter of ${kindName} (${sig}): the original passed it by position, as ${signature[i]}, and so does icefat`,
        e,
        section,
      );
    const name = slips.length && byName !== undefined ? byName : signature[i];
    const other = entryOf.get(name);
    if (other)
      problems.push({
        code: 'bad-value',
        message: `both ${other.key} (line ${other.line}) and ${e.key} give ${kindName} its ${name}`,
        entry: e,
      });
    else entryOf.set(name, e);
  });
  if (slips.length)
    warn(
      'positional-slip',
      `the original passes a section's values by position, so here ${slips.map((x) => `${x.e.key} = ${x.e.value} landed in ${x.at}`).join(', ')}; icefat runs the section as its keys say`,
      slips[0].e,
      section,
    );
  return { entryOf, problems };
}

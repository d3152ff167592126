import { z } from 'zod';
import { summariseStf, type StfModuleResult } from '../analysis/stf.js';
import type { TaskContext, TaskKind } from './types.js';
import { iniText } from './values.js';
import { readDoc } from '../records/json-docs.js';
import { entryKey } from '../records/entries.js';

/**
 * `stf_ana`: the summary of an STF of the run, from the store (the results measure_stf recorded):
 * how many modules passed, and which items failed on which module. The original's
 * `(runconfig, stfnumber=None, omit=None)`: by default the latest STF of the run; `stfnumber = N`
 * the STF the D-Egg files record as `STF_NN` (counted from 0, as the files count); `omit` D-Egg
 * serials left out of the summary (a module known to be broken), written as a list
 * (`['DEgg2026-1-001', 'DEgg2026-1-002']`) or separated by commas or spaces.
 */
const isNone = (v: string) => ['none', ''].includes(v.trim().toLowerCase());
/** what the schedule stores is parsed again when the task runs: each value also takes its parsed form */
const params = z.object({
  stfnumber: z
    .union([z.number(), iniText()])
    .default('None')
    .transform((v, ctx) => {
      if (typeof v === 'string' && isNone(v)) return undefined;
      const n = typeof v === 'number' ? v : Number(v.trim());
      if (Number.isInteger(n) && n >= 0 && n < 100) return n;
      ctx.addIssue({
        code: 'custom',
        message: `expected None (the latest STF) or the NN of the D-Egg files' STF_NN entries (0-99), got "${v}"`,
      });
      return z.NEVER;
    }),
  omit: z
    .union([z.array(z.string()), iniText()])
    .default('None')
    .transform((v) => (Array.isArray(v) ? v : isNone(v) ? [] : (v.match(/[^\s,'"[\]]+/g) ?? []))),
});
type P = z.infer<typeof params>;

/** a module's result of an STF (its stf.failed_items row) */
type StfRow = { id: number; port: number; degg_serial: string; detail: string; folder: string | null; created_at: string };

const detailSchema = z.object({
  items: z.array(
    z.object({
      item: z.string(),
      status: z.enum(['pass', 'fail', 'skipped']),
      reading: z.string(),
      value: z.number().nullable(),
      limit: z.string(),
    }),
  ),
});

export const kind: TaskKind<P> = {
  name: 'stf_ana',
  summary: 'summary of an STF of the run (the latest, or stfnumber): pass/fail counts, failing items by module',
  params,
  positional: ['stfnumber', 'omit'],
  estimateS: (_p, m) => 30 + 5 * m,
  async run(ctx, p) {
    const which = await chosenStf(ctx, p.stfnumber);
    const omitted = new Set(p.omit);
    const unknown = [...omitted].filter((s) => !ctx.modules.some((m) => m.serial === s));
    if (unknown.length)
      throw new Error(
        `stf_ana: omit names ${unknown.join(', ')}, not a module of run ${ctx.run.number} (its modules: ${ctx.modules.map((m) => m.serial).join(', ')})`,
      );
    const rows = which.rows.filter((r) => !omitted.has(r.degg_serial));
    // a re-run into the same folder never happens (folders are claimed), but keep the newest row per module
    const byPort = new Map<number, StfModuleResult>();
    for (const r of rows) {
      const parsed = detailSchema.safeParse(JSON.parse(r.detail));
      if (!parsed.success)
        throw new Error(
          `stf_ana: the STF result of ${r.degg_serial} (port ${r.port}, result ${r.id}) has no item list: ${parsed.error.message}`,
        );
      byPort.set(r.port, { port: r.port, serial: r.degg_serial, items: parsed.data.items });
    }
    const s = summariseStf([...byPort.values()]);
    const lines = s.failing.map((f) => `${f.serial} (port ${f.port}): ${f.items.map((i) => `${i.item} (${i.reading})`).join(', ')}`);
    const left = omitted.size ? ` (left out: ${[...omitted].join(', ')})` : '';
    ctx.emit({
      level: s.failed ? 'warn' : 'info',
      kind: 'stf.summary',
      message: `${which.name} of run ${ctx.run.number}: ${s.passed}/${s.modules} modules passed${left}${s.failed ? `; failing: ${lines.join('; ')}` : ''}`,
      audience: 'channel',
      data: { folder: which.folder, passed: s.passed, failed: s.failed, omitted: [...omitted] },
    });
    return { folder: which.folder, measuredAt: which.measuredAt, omitted: [...omitted], ...s };
  },
};

const stfRows = (ctx: TaskContext) =>
  ctx.ws.db
    .selectFrom('results')
    .select(['id', 'port', 'degg_serial', 'detail', 'folder', 'created_at'])
    .where('run_id', '=', ctx.run.id)
    .where('kind', '=', 'measure_stf')
    .where('name', '=', 'stf.failed_items');

/**
 * The STF to summarise and its result rows: the latest of the run, or the one the D-Egg files
 * record as STF_NN (each module's entry names the folder of its results).
 */
async function chosenStf(
  ctx: TaskContext,
  n: number | undefined,
): Promise<{ name: string; folder: string | null; measuredAt: string; rows: StfRow[] }> {
  if (n === undefined) {
    const latest = await stfRows(ctx).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (!latest)
      throw new Error(`stf_ana: run ${ctx.run.number} has no STF results: run measure_stf first (a schedule task, or \`fat measure stf\`)`);
    const rows = await stfRows(ctx)
      .where('folder', latest.folder === null ? 'is' : '=', latest.folder)
      .orderBy('id', 'asc')
      .execute();
    return { name: 'STF', folder: latest.folder, measuredAt: latest.created_at, rows };
  }
  const key = entryKey('STF', n);
  const rows: StfRow[] = [];
  const recorded = new Set<string>();
  for (const m of ctx.modules) {
    const doc = await readDoc(ctx.ws, m.jsonFile);
    for (const k of Object.keys(doc)) if (/^STF_\d+$/.test(k)) recorded.add(k);
    const folder = (doc[key] as { Folder?: unknown } | undefined)?.Folder;
    if (typeof folder !== 'string') continue;
    for (const r of await stfRows(ctx).where('port', '=', m.port).where('folder', '=', folder).orderBy('id', 'asc').execute()) rows.push(r);
  }
  if (!rows.length) {
    const have = [...recorded].sort();
    throw new Error(
      `stf_ana: no module of run ${ctx.run.number} has results for ${key} (stfnumber = ${n}, counted from 0): ` +
        (have.length ? `the D-Egg files record ${have.join(', ')}` : 'the run has no STF yet: run measure_stf first'),
    );
  }
  const folders = new Set(rows.map((r) => r.folder));
  const measuredAt = rows.reduce((at, r) => (r.created_at > at ? r.created_at : at), '');
  return { name: key, folder: folders.size === 1 ? rows[0].folder : null, measuredAt, rows };
}

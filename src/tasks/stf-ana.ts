import { z } from 'zod';
import { summariseStf, type StfModuleResult } from '../analysis/stf.js';
import type { TaskKind } from './types.js';
import { iniText } from './values.js';

/**
 * `stf_ana`: the summary of the latest STF of the run, from the store (the results measure_stf
 * recorded): how many modules passed, and which items failed on which module. The original's
 * `(runconfig, stfnumber=None, omit=None)` chose an earlier STF and modules to leave out; icefat
 * takes their default only, and says so at `fat schedule check` for anything else.
 */
const onlyNone = (what: string) =>
  iniText()
    .default('None')
    .refine((v) => ['none', ''].includes(v.trim().toLowerCase()), `${what} is not implemented in icefat: leave it None`);
const params = z.object({
  stfnumber: onlyNone('choosing an STF other than the latest (stfnumber)'),
  omit: onlyNone('leaving modules out of the summary (omit)'),
});
type P = z.infer<typeof params>;

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
  summary: 'summary of the latest STF results of the run: pass/fail counts, failing items by module',
  params,
  positional: ['stfnumber', 'omit'],
  estimateS: (_p, m) => 30 + 5 * m,
  async run(ctx) {
    const db = ctx.ws.db;
    const latest = await db
      .selectFrom('results')
      .select(['folder', 'created_at'])
      .where('run_id', '=', ctx.run.id)
      .where('kind', '=', 'measure_stf')
      .where('name', '=', 'stf.failed_items')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!latest)
      throw new Error(`stf_ana: run ${ctx.run.number} has no STF results: run measure_stf first (a schedule task, or \`fat measure stf\`)`);
    const rows = await db
      .selectFrom('results')
      .select(['id', 'port', 'degg_serial', 'detail'])
      .where('run_id', '=', ctx.run.id)
      .where('kind', '=', 'measure_stf')
      .where('name', '=', 'stf.failed_items')
      .where('folder', latest.folder === null ? 'is' : '=', latest.folder)
      .orderBy('id', 'asc')
      .execute();
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
    ctx.emit({
      level: s.failed ? 'warn' : 'info',
      kind: 'stf.summary',
      message: `STF of run ${ctx.run.number}: ${s.passed}/${s.modules} modules passed${s.failed ? `; failing: ${lines.join('; ')}` : ''}`,
      audience: 'channel',
      data: { folder: latest.folder, passed: s.passed, failed: s.failed },
    });
    return { folder: latest.folder, measuredAt: latest.created_at, ...s };
  },
};

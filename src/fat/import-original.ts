import fs from 'node:fs';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { judge } from '../analysis/goalposts.js';
import type { Db } from '../store/open.js';
import { nowIso } from '../store/open.js';
import type { ResultTable } from '../store/schema.js';
import type { Goalposts } from '../records/goalposts-file.js';
import { analysisResult } from './import-analysis-results.js';
import { deggQuantities, entriesOf, isEntry, PMTS, type Quantity } from './import-degg-quantities.js';
import { inside, isObject, readJsonObject, type Json, type ReadProblem } from './import-json.js';
import { stfOutcomes } from './import-stf.js';
import { runName } from '../records/run-files.js';

/**
 * `fat import PATH`: the original system's JSON tree (original-system.md §4.2-4.3) into the store,
 * so that module histories start with what was measured before icefat.
 *   PATH/run/run_NNNNN.json            a run: { "<DEggSerial>": "<path>", comment, date, MasterFAT_NN, ... }
 *   PATH/run_NNNNN/<DEggSerial>.json   a D-Egg: identity, UpperPmt/LowerPmt, measurement entries
 *   PATH/database_jsons/**.json        the original's analysis results, where the tree has them
 * What is written:
 *   runs and modules (station 'imported' unless told), like icefat's own;
 *   imported_entries: each whole file as it was (level run/module/analysis) and each measurement
 *     entry (`Name_NN` holding an object, at the top or in a PMT) verbatim, so no key is ever lost;
 *   results: every quantity the files record (import-degg-quantities.ts, import-analysis-results.ts,
 *     the STF outcomes), with its units, judged against the goalposts like icefat's own results.
 * A file that cannot be read or parsed, and a value that is not a number, is a problem naming the
 * file (and key); the rest is imported. Importing again adds only what is new (an entry is known
 * by its station, file, PMT and key).
 */
export interface ImportReport {
  station: string;
  runs: { new: number; known: number };
  modules: { new: number; known: number };
  entries: { new: number; known: number };
  results: number;
  problems: ReadProblem[];
}

type Level = 'run' | 'module' | 'entry' | 'analysis';

interface Ctx {
  db: Db;
  root: string;
  /** the folder the operator named: no file outside it is read (symlinks resolved) */
  boundary: string;
  station: string;
  goalposts: Goalposts;
  report: ImportReport;
}

/**
 * The JSON root: PATH itself, PATH/json (an archive holding json/ and data/ side by side: the STF
 * folders are then found in data/), or the parent of PATH when PATH is the `run` folder.
 */
export function jsonRoot(p: string): string {
  const abs = path.resolve(p);
  if (fs.existsSync(path.join(abs, 'run'))) return abs;
  if (fs.existsSync(path.join(abs, 'json', 'run'))) return path.join(abs, 'json');
  if (path.basename(abs) === 'run') return path.dirname(abs);
  throw new Error(`${abs} holds no run/ folder: give the original's JSON root (RUN_DIR, with run/run_NNNNN.json in it)`);
}

const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** D-Egg keys of a run file, as the original's readers find them (original-system.md §4.2). */
function deggKeys(run: Json): [string, string][] {
  const skip = new Set(['comment', 'date', 'end_time', 'RunTerminated']);
  return Object.entries(run).filter(
    (e): e is [string, string] =>
      typeof e[1] === 'string' && !skip.has(e[0]) && !e[0].startsWith('ManualInputTime') && !e[0].startsWith('MasterFAT'),
  );
}

export async function importOriginal(db: Db, rootArg: string, station: string, goalposts: Goalposts): Promise<ImportReport> {
  const root = jsonRoot(rootArg);
  // the folder named (the JSON root, or an archive around it; for the run folder, its JSON root)
  const boundary = fs.realpathSync(root === path.join(path.resolve(rootArg), 'json') ? path.resolve(rootArg) : root);
  const report: ImportReport = {
    station,
    runs: { new: 0, known: 0 },
    modules: { new: 0, known: 0 },
    entries: { new: 0, known: 0 },
    results: 0,
    problems: [],
  };
  const ctx: Ctx = { db, root, boundary, station, goalposts, report };
  await db
    .insertInto('stations')
    .values({ name: station })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const runFiles: string[] = [];
  for (const f of fs.readdirSync(path.join(root, 'run')).sort()) {
    if (/^run_\d+\.json$/.test(f)) runFiles.push(f);
    else report.problems.push({ file: path.join(root, 'run', f), message: 'is not a run file (run_NNNNN.json): skipped' });
  }
  for (const f of runFiles) {
    const file = inside(boundary, path.join(root, 'run', f));
    if (!file) {
      report.problems.push({ file: path.join(root, 'run', f), message: 'leads outside the imported folder (a symlink): not read' });
      continue;
    }
    const runNumber = Number(/^run_(\d+)/.exec(f)![1]);
    const parsed = readJsonObject(file, report.problems);
    if (!parsed) continue;
    const runId = await importRun(ctx, runNumber, file, parsed);
    if (runId === undefined) continue;
    const date = typeof parsed.doc.date === 'string' ? parsed.doc.date : '';
    for (const [serial, recorded] of deggKeys(parsed.doc)) {
      if (!SERIAL.test(serial)) {
        report.problems.push({ file, message: `key ${JSON.stringify(serial.slice(0, 80))} is not a D-Egg serial: skipped` });
        continue;
      }
      // the paths are those of the PC that wrote them; the file sits next to the run folder here,
      // and nothing outside the folder the operator named is ever read
      const local = path.join(root, runName(runNumber), `${serial}.json`);
      const deggFile = inside(boundary, local) ?? inside(boundary, path.resolve(root, recorded));
      if (!deggFile) {
        report.problems.push({
          file,
          message: `${serial}: its file is neither ${local} nor ${JSON.stringify(recorded.slice(0, 200))} inside ${boundary}: not read`,
        });
        continue;
      }
      const degg = readJsonObject(deggFile, report.problems);
      if (degg) await importDegg(ctx, runId, date, serial, deggFile, degg);
    }
  }
  await importAnalysisResults(ctx);
  return report;
}

async function importRun(ctx: Ctx, runNumber: number, file: string, run: { text: string; doc: Json }) {
  const { db, station, report } = ctx;
  const existing = await db
    .selectFrom('runs')
    .selectAll()
    .where('station', '=', station)
    .where('run_number', '=', runNumber)
    .executeTakeFirst();
  if (existing && existing.run_file !== file) {
    report.problems.push({
      file,
      message: `run ${runNumber} of station ${station} exists already (from ${existing.run_file}): import it under another station with --station NAME`,
    });
    return undefined;
  }
  return db.transaction().execute(async (tx) => {
    let runId = existing?.id;
    if (runId === undefined) {
      runId = (
        await tx
          .insertInto('runs')
          .values({
            station,
            run_number: runNumber,
            comment: typeof run.doc.comment === 'string' ? run.doc.comment : '',
            date: typeof run.doc.date === 'string' ? run.doc.date : '',
            operator: 'imported',
            run_file: file,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      report.runs.new++;
    } else report.runs.known++;
    const t: Ctx = { ...ctx, db: tx };
    const base = { run_id: runId, degg_serial: null, pmt: '', source_file: file };
    await keep(t, { ...base, level: 'run', entry_key: '', raw: run.text });
    for (const e of entriesOf(run.doc)) await keep(t, { ...base, level: 'entry', entry_key: e.key, raw: JSON.stringify(e.value) });
    return runId;
  });
}

/** Writes one imported_entries row unless it is there; true when it was new. */
async function keep(
  ctx: Ctx,
  row: {
    run_id: number | null;
    degg_serial: string | null;
    pmt: string;
    level: Level;
    entry_key: string;
    source_file: string;
    raw: string;
  },
): Promise<boolean> {
  const found = await ctx.db
    .selectFrom('imported_entries')
    .select('id')
    .where('station', '=', ctx.station)
    .where('source_file', '=', row.source_file)
    .where('level', '=', row.level)
    .where('pmt', '=', row.pmt)
    .where('entry_key', '=', row.entry_key)
    .executeTakeFirst();
  if (found) {
    ctx.report.entries.known++;
    return false;
  }
  await ctx.db
    .insertInto('imported_entries')
    .values({ ...row, station: ctx.station, imported_at: nowIso() })
    .execute();
  ctx.report.entries.new++;
  return true;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;

/** Where an imported result belongs: its run, module, file, time and (as the file has it) folder. */
interface ResultAt {
  runId: number;
  port: number;
  serial: string;
  file: string;
  createdAt: string;
  folder: unknown;
}

/** A results row of an imported quantity, judged against the goalposts where they have limits. */
function resultRow(
  ctx: Ctx,
  where: ResultAt,
  q: Pick<Quantity, 'name' | 'pmt' | 'value' | 'units' | 'entry' | 'detail' | 'judge'>,
  kind: string,
): Insertable<ResultTable> {
  const gp = ctx.goalposts;
  const goal = gp.entries.get(q.name);
  const limited = goal && (goal.low !== undefined || goal.high !== undefined);
  const judged =
    q.judge === false
      ? { verdict: 'info' as const, reason: 'recorded, not judged: the original gave it no goalpost' }
      : !goal
        ? { verdict: 'info' as const, reason: `recorded, not judged: ${gp.file} has no [${JSON.stringify(q.name)}] section` }
        : !limited
          ? { verdict: 'info' as const, reason: '' }
          : judge(q.value, goal, `${where.serial}${q.pmt ? ` ${q.pmt}` : ''} ${goal.description || q.name}`);
  return {
    station: ctx.station,
    run_id: where.runId,
    task_id: null,
    kind,
    port: where.port,
    degg_serial: where.serial,
    pmt: q.pmt,
    name: q.name,
    value: q.value,
    units: goal?.units || q.units,
    verdict: judged.verdict,
    reason: judged.reason,
    goalposts_version: gp.version,
    folder: typeof where.folder === 'string' && where.folder !== 'None' ? where.folder : null,
    detail: JSON.stringify({ entry: q.entry, ...q.detail }),
    provenance: JSON.stringify({
      station: ctx.station,
      operator: 'imported',
      importedFrom: where.file,
      importedAt: nowIso(),
      goalpostsVersion: gp.version,
      goalpostsFile: gp.file,
    }),
    created_at: where.createdAt,
  };
}

async function importDegg(ctx: Ctx, runId: number, runDate: string, serial: string, file: string, degg: { text: string; doc: Json }) {
  const d = degg.doc;
  const createdAt = /^\d{4}-\d\d-\d\d$/.test(runDate) ? `${runDate}T00:00:00.000Z` : nowIso();
  await ctx.db.transaction().execute(async (tx) => {
    const t: Ctx = { ...ctx, db: tx };
    const mod = await deggModule(t, runId, serial, file, d);
    const base: DeggSource = { run_id: runId, degg_serial: serial, source_file: file };
    await keep(t, { ...base, pmt: '', level: 'module', entry_key: '', raw: degg.text });
    const fresh = await keepDeggEntries(t, base, d);
    const { quantities, problems } = deggQuantities(d);
    ctx.report.problems.push(...problems.map((p) => ({ file, ...p })));
    const where = { runId, port: mod.port, serial, file, createdAt };
    const rows = quantities
      .filter((q) => fresh.has(q.entry))
      .map((q) => resultRow(ctx, { ...where, folder: entryAt(d, q.entry)?.Folder }, q, `original:${entryName(q.entry)}`));
    rows.push(...(await stfRows(t, base, d, where)));
    // a few rows per INSERT, within both engines' limits on bound parameters
    for (let i = 0; i < rows.length; i += 500)
      await tx
        .insertInto('results')
        .values(rows.slice(i, i + 500))
        .execute();
    ctx.report.results += rows.length;
  });
}

/** The imported_entries columns that name a D-Egg file. */
type DeggSource = { run_id: number; degg_serial: string; source_file: string };

/** The D-Egg's module row in the run: found, or added from the file's identity and registry values. */
async function deggModule(t: Ctx, runId: number, serial: string, file: string, d: Json): Promise<{ id: number; port: number }> {
  const found = await t.db
    .selectFrom('modules')
    .select(['id', 'port'])
    .where('run_id', '=', runId)
    .where('degg_serial', '=', serial)
    .executeTakeFirst();
  if (found) {
    t.report.modules.known++;
    return found;
  }
  let port = num(d.Port) ?? -1;
  const taken = await t.db.selectFrom('modules').select('port').where('run_id', '=', runId).execute();
  // a D-Egg file without its port (or two with the same one) still gets a module row of its own
  while (taken.some((x) => x.port === port) || port === -1) port = Math.min(-1, ...taken.map((x) => x.port)) - 1;
  const registry: Json = {};
  for (const [k, v] of Object.entries(d)) {
    if (isEntry(k, v)) continue;
    registry[k] = (PMTS as readonly string[]).includes(k) && isObject(v) ? withoutEntries(v) : v;
  }
  const { id } = await t.db
    .insertInto('modules')
    .values({
      run_id: runId,
      port,
      wire_pair: port >= 5000 ? Math.floor((port - 5000) / 4) : -1,
      degg_serial: serial,
      icm_id: typeof d.ICMID === 'string' ? d.ICMID : '',
      fpga_version: num(d.fpgaVersion) ?? -1,
      software_version: num(d.IcebootVersion) ?? -1,
      flash_id: d.flashID === undefined ? '' : String(d.flashID as string | number),
      mainboard_id: typeof d.MainboardNumber === 'string' ? d.MainboardNumber : '',
      registry: JSON.stringify(registry),
      json_file: file,
      state: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  t.report.modules.new++;
  return { id, port };
}

/**
 * Keeps the D-Egg's measurement entries (at the top and in each PMT, and the PMTs' HV1e7Gain and
 * SPEPeakHeight). Returns those written for the first time here: their quantities are new too.
 */
async function keepDeggEntries(t: Ctx, base: DeggSource, d: Json): Promise<Set<string>> {
  const fresh = new Set<string>();
  const levels: { pmt: string; doc: Json }[] = [
    { pmt: '', doc: d },
    ...PMTS.filter((p) => isObject(d[p])).map((p) => ({ pmt: p, doc: d[p] as Json })),
  ];
  for (const level of levels) {
    for (const e of entriesOf(level.doc))
      if (await keep(t, { ...base, pmt: level.pmt, level: 'entry', entry_key: e.key, raw: JSON.stringify(e.value) }))
        fresh.add(level.pmt ? `${level.pmt}.${e.key}` : e.key);
    for (const key of ['HV1e7Gain', 'SPEPeakHeight'])
      if (
        level.pmt &&
        key in level.doc &&
        (await keep(t, { ...base, pmt: level.pmt, level: 'entry', entry_key: key, raw: JSON.stringify(level.doc[key]) }))
      )
        fresh.add(`${level.pmt}.${key}`);
  }
  return fresh;
}

/** A results row of the failed items of each STF entry whose outcomes are new (a problem where they cannot be read). */
async function stfRows(t: Ctx, base: DeggSource, d: Json, where: Omit<ResultAt, 'folder'>): Promise<Insertable<ResultTable>[]> {
  const rows: Insertable<ResultTable>[] = [];
  for (const e of entriesOf(d).filter((x) => x.name === 'STF')) {
    const stf = stfOutcomes(e.value.Folder, t.root, t.boundary);
    if (!stf) continue;
    if ('problem' in stf) {
      t.report.problems.push({ file: base.source_file, key: `${e.key}.Folder`, message: stf.problem });
      continue;
    }
    const isNew = await keep(t, { ...base, pmt: '', level: 'entry', entry_key: `${e.key}/outcomes`, raw: JSON.stringify(stf.outcomes) });
    if (isNew)
      rows.push(
        resultRow(
          t,
          { ...where, folder: stf.folder },
          {
            name: 'stf.failed_items',
            pmt: null,
            value: stf.failed.length,
            units: 'items',
            entry: e.key,
            detail: { items: stf.outcomes.length, failed: stf.failed },
          },
          'original:STF',
        ),
      );
  }
  return rows;
}

/** 'UpperPmt.GainMeasurement_01' -> 'GainMeasurement'; 'UpperPmt.HV1e7Gain' -> 'HV1e7Gain' */
const entryName = (entry: string) => (entry.split('.').pop() ?? entry).replace(/_\d+$/, '');

function entryAt(d: Json, entry: string): Json | undefined {
  let v: unknown = d;
  for (const k of entry.split('.')) v = isObject(v) ? v[k] : undefined;
  return isObject(v) ? v : undefined;
}

function withoutEntries(pmt: Json): Json {
  return Object.fromEntries(Object.entries(pmt).filter(([k, v]) => !isEntry(k, v)));
}

/** Every *.json under PATH/database_jsons (its goalpost definitions are kept too, and give no result). */
function analysisFiles(ctx: Ctx): string[] {
  const dir = path.join(ctx.root, 'database_jsons');
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const file = inside(ctx.boundary, path.join(dir, f));
    if (file) out.push(file);
    else ctx.report.problems.push({ file: path.join(dir, f), message: 'leads outside the imported folder (a symlink): not read' });
  }
  return out;
}

async function importAnalysisResults(ctx: Ctx) {
  const { db, station, report } = ctx;
  for (const file of analysisFiles(ctx)) {
    const parsed = readJsonObject(file, report.problems);
    if (!parsed) continue;
    const problems: Omit<ReadProblem, 'file'>[] = [];
    const r = analysisResult(parsed.doc, problems);
    report.problems.push(...problems.map((p) => ({ file, ...p })));
    const run = r
      ? await db
          .selectFrom('runs')
          .select(['id', 'date'])
          .where('station', '=', station)
          .where('run_number', '=', r.runNumber)
          .executeTakeFirst()
      : undefined;
    const mod = run
      ? await db
          .selectFrom('modules')
          .select(['port', 'registry'])
          .where('run_id', '=', run.id)
          .where('degg_serial', '=', r!.serial)
          .executeTakeFirst()
      : undefined;
    const isNew = await keep(ctx, {
      run_id: run?.id ?? null,
      degg_serial: r?.serial ?? null,
      pmt: '',
      level: 'analysis',
      entry_key: '',
      source_file: file,
      raw: parsed.text,
    });
    if (!r || !isNew) continue;
    if (!run || !mod) {
      report.problems.push({
        file,
        message: `${r.measName} of ${r.serial} belongs to run ${r.runNumber}, ${run ? 'whose run file does not list that D-Egg' : 'which this tree has no run file of'}: not imported`,
      });
      continue;
    }
    let pmt: string | null = null;
    if (r.subdevice.kind === 'pmt') {
      // the PMT by its serial, as the D-Egg file of that run names its two PMTs
      const registry = JSON.parse(mod.registry) as Json;
      const { serial } = r.subdevice;
      pmt = PMTS.find((p) => isObject(registry[p]) && registry[p].SerialNumber === serial) ?? null;
      if (!pmt) {
        report.problems.push({
          file,
          key: 'subdevice_uid',
          message: `PMT ${serial} is not a PMT of ${r.serial} in run ${r.runNumber}: ${r.quantity.name} not imported`,
        });
        continue;
      }
    } else if (r.subdevice.kind === 'camera') pmt = `camera ${r.subdevice.id}`;
    const createdAt = r.measuredAt ?? (/^\d{4}-\d\d-\d\d$/.test(run.date) ? `${run.date}T00:00:00.000Z` : nowIso());
    const row = resultRow(
      ctx,
      { runId: run.id, port: mod.port, serial: r.serial, file, createdAt, folder: null },
      { ...r.quantity, pmt, entry: r.measName },
      `original:${r.measName}`,
    );
    await db.insertInto('results').values(row).execute();
    report.results++;
  }
}

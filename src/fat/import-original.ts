import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/open.js';
import { nowIso } from '../store/open.js';
import { runName } from './run-files.js';

/**
 * `fat import PATH`: the original system's JSON tree (original-system.md §4.2-4.3) into the store,
 * so that module histories start with what was measured before icefat.
 *   PATH/run/run_NNNNN.json            a run: { "<DEggSerial>": "<path>", comment, date, MasterFAT_NN, ... }
 *   PATH/run_NNNNN/<DEggSerial>.json   a D-Egg: identity, UpperPmt/LowerPmt, measurement entries
 * What is written:
 *   runs and modules (station 'imported' unless told), like icefat's own;
 *   imported_entries: each whole file as it was (level run/module) and each measurement entry
 *     (`Name_NN` holding an object, at the top or in a PMT) verbatim, so no key is ever lost;
 *   results: one row per entry (kind from its name, its main value where one is known, the entry in
 *     `detail`), and the PMT's HV at gain 1e7 as `gain.hv1e7`; verdict 'info', since the original
 *     judged nothing against goalposts.
 * A file that cannot be read or parsed is reported with its path (and the parse position) and the
 * import goes on with the rest. Importing again adds only what is new (an entry is known by its
 * station, file, PMT and key).
 */
export interface ImportProblem {
  file: string;
  message: string;
}

export interface ImportReport {
  station: string;
  runs: { new: number; known: number };
  modules: { new: number; known: number };
  entries: { new: number; known: number };
  results: number;
  problems: ImportProblem[];
}

const ENTRY = /^(.+)_(\d+)$/;
const PMTS = ['UpperPmt', 'LowerPmt'];

/** The icefat task kind of an original entry name, where there is one. */
const KIND_OF: Record<string, string> = {
  GainMeasurement: 'measure_gain',
  DarkrateScalerMeasurement: 'measure_scaler',
  LinearityMeasurement: 'measure_linearity',
  DoublePulse: 'measure_pulsed',
  BurstPulse: 'measure_pulsed',
  TransitTimeSpread: 'measure_tts',
  DeltaTMeasurement: 'measure_dt',
  LaserVisibilityMeasurement: 'check_visibility',
  HVMonitoring: 'measure_hv',
  SpeMeasurement: 'measure_spe',
  ChargeGainMonitoring: 'charge_gain_monitoring',
  DarkrateTemperature: 'darkrate_temperature',
  AdvancedMonitoring: 'advanced_monitoring',
  FlasherCheck: 'measure_flasher',
  STF: 'measure_stf',
  OnlineMon: 'online_mon',
  RebootMonitoring: 'reboot_monitoring',
  ColdBoot: 'cold_boot',
  ReadoutReboot: 'readout_and_reboot',
  ReadoutOnly: 'readout_and_reboot',
  MasterFAT: 'master',
};

/** The entry's main value: the first of these keys that holds a number. */
const MAIN_VALUE: Record<string, string[]> = {
  GainMeasurement: ['HV1e7Gain'],
  DarkrateScalerMeasurement: ['DarkRateMeanHz', 'DarkRate', 'Rate'],
  DarkrateTemperature: ['DarkRate', 'Rate'],
};

type Json = Record<string, unknown>;

function readJson(file: string, problems: ImportProblem[]): { text: string; doc: Json } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ file, message: `cannot read it: ${(e as Error).message}` });
    return undefined;
  }
  try {
    const doc: unknown = JSON.parse(text);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push({ file, message: 'is not a JSON object ({...})' });
      return undefined;
    }
    return { text, doc: doc as Json };
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? ` (line ${lineCol(text, Number(pos[1]))})` : '';
    problems.push({ file, message: `is not valid JSON${where}: ${msg}` });
    return undefined;
  }
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `${before.length}, column ${before[before.length - 1].length + 1}`;
}

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Measurement entries of one level of a file: `Name_NN` keys holding an object. */
function entriesOf(doc: Json): { key: string; name: string; value: Json }[] {
  const out: { key: string; name: string; value: Json }[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const m = ENTRY.exec(key);
    if (m && isObject(value)) out.push({ key, name: m[1], value });
  }
  return out;
}

/** D-Egg keys of a run file, as the original's readers find them (original-system.md §4.2). */
function deggKeys(run: Json): [string, string][] {
  const skip = new Set(['comment', 'date', 'end_time', 'RunTerminated']);
  return Object.entries(run).filter(
    (e): e is [string, string] =>
      typeof e[1] === 'string' && !skip.has(e[0]) && !e[0].startsWith('ManualInputTime') && !e[0].startsWith('MasterFAT'),
  );
}

/** The JSON root: PATH itself, or its parent when PATH is the `run` folder. */
export function jsonRoot(p: string): string {
  const abs = path.resolve(p);
  if (fs.existsSync(path.join(abs, 'run'))) return abs;
  if (path.basename(abs) === 'run') return path.dirname(abs);
  throw new Error(`${abs} holds no run/ folder: give the original's JSON root (RUN_DIR, with run/run_NNNNN.json in it)`);
}

export async function importOriginal(db: Db, rootArg: string, station: string): Promise<ImportReport> {
  const root = jsonRoot(rootArg);
  const report: ImportReport = {
    station,
    runs: { new: 0, known: 0 },
    modules: { new: 0, known: 0 },
    entries: { new: 0, known: 0 },
    results: 0,
    problems: [],
  };
  await db
    .insertInto('stations')
    .values({ name: station })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const runFiles = fs
    .readdirSync(path.join(root, 'run'))
    .filter((f) => /^run_\d+\.json$/.test(f))
    .sort();
  for (const f of runFiles) {
    const file = path.join(root, 'run', f);
    const runNumber = Number(/^run_(\d+)/.exec(f)![1]);
    const parsed = readJson(file, report.problems);
    if (!parsed) continue;
    const runId = await importRun(db, report, station, runNumber, file, parsed);
    if (runId === undefined) continue;
    for (const [serial, recorded] of deggKeys(parsed.doc)) {
      // the paths are those of the PC that wrote them; the file sits next to the run folder here
      const local = path.join(root, runName(runNumber), `${serial}.json`);
      const deggFile = fs.existsSync(local) ? local : recorded;
      const degg = readJson(deggFile, report.problems);
      if (!degg) continue;
      await importDegg(db, report, station, runId, typeof parsed.doc.date === 'string' ? parsed.doc.date : '', serial, deggFile, degg);
    }
  }
  return report;
}

async function importRun(db: Db, report: ImportReport, station: string, runNumber: number, file: string, run: { text: string; doc: Json }) {
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
    await keep(tx, report, {
      station,
      run_id: runId,
      degg_serial: null,
      pmt: '',
      level: 'run',
      entry_key: '',
      source_file: file,
      raw: run.text,
    });
    for (const e of entriesOf(run.doc)) {
      await keep(tx, report, {
        station,
        run_id: runId,
        degg_serial: null,
        pmt: '',
        level: 'entry',
        entry_key: e.key,
        source_file: file,
        raw: JSON.stringify(e.value),
      });
    }
    return runId;
  });
}

/** Writes one imported_entries row unless it is there; true when it was new. */
async function keep(
  db: Db,
  report: ImportReport,
  row: {
    station: string;
    run_id: number;
    degg_serial: string | null;
    pmt: string;
    level: 'run' | 'module' | 'entry';
    entry_key: string;
    source_file: string;
    raw: string;
  },
) {
  const found = await db
    .selectFrom('imported_entries')
    .select('id')
    .where('station', '=', row.station)
    .where('source_file', '=', row.source_file)
    .where('level', '=', row.level)
    .where('pmt', '=', row.pmt)
    .where('entry_key', '=', row.entry_key)
    .executeTakeFirst();
  if (found) {
    report.entries.known++;
    return false;
  }
  await db
    .insertInto('imported_entries')
    .values({ ...row, imported_at: nowIso() })
    .execute();
  report.entries.new++;
  return true;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;

async function importDegg(
  db: Db,
  report: ImportReport,
  station: string,
  runId: number,
  runDate: string,
  serial: string,
  file: string,
  degg: { text: string; doc: Json },
) {
  const d = degg.doc;
  const createdAt = /^\d{4}-\d\d-\d\d$/.test(runDate) ? `${runDate}T00:00:00.000Z` : nowIso();
  await db.transaction().execute(async (tx) => {
    let mod = await tx
      .selectFrom('modules')
      .select(['id', 'port'])
      .where('run_id', '=', runId)
      .where('degg_serial', '=', serial)
      .executeTakeFirst();
    if (!mod) {
      let port = num(d.Port) ?? -1;
      const taken = await tx.selectFrom('modules').select('port').where('run_id', '=', runId).execute();
      // a D-Egg file without its port (or two with the same one) still gets a module row of its own
      while (taken.some((t) => t.port === port) || port === -1) port = Math.min(-1, ...taken.map((t) => t.port)) - 1;
      const registry: Json = {};
      for (const [k, v] of Object.entries(d))
        if (!ENTRY.test(k) || !isObject(v)) registry[k] = PMTS.includes(k) && isObject(v) ? withoutEntries(v) : v;
      const id = (
        await tx
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
          .executeTakeFirstOrThrow()
      ).id;
      mod = { id, port };
      report.modules.new++;
    } else report.modules.known++;
    const base = { station, run_id: runId, degg_serial: serial, source_file: file };
    await keep(tx, report, { ...base, pmt: '', level: 'module', entry_key: '', raw: degg.text });
    const levels: { pmt: string; doc: Json }[] = [
      { pmt: '', doc: d },
      ...PMTS.filter((p) => isObject(d[p])).map((p) => ({ pmt: p, doc: d[p] as Json })),
    ];
    const result = async (kind: string, name: string, pmt: string, value: number | null, folder: unknown, detail: Json) => {
      await tx
        .insertInto('results')
        .values({
          station,
          run_id: runId,
          task_id: null,
          kind,
          port: mod.port,
          degg_serial: serial,
          pmt: pmt || null,
          name,
          value,
          verdict: 'info',
          reason: 'imported from the original system: not judged',
          goalposts_version: 'original',
          folder: typeof folder === 'string' && folder !== 'None' ? folder : null,
          detail: JSON.stringify(detail),
          provenance: JSON.stringify({ importedFrom: file, station, importedAt: nowIso() }),
          created_at: createdAt,
        })
        .execute();
      report.results++;
    };
    for (const level of levels) {
      for (const e of entriesOf(level.doc)) {
        const isNew = await keep(tx, report, { ...base, pmt: level.pmt, level: 'entry', entry_key: e.key, raw: JSON.stringify(e.value) });
        if (!isNew) continue;
        const main = (MAIN_VALUE[e.name] ?? []).map((k) => num(e.value[k])).find((v) => v !== undefined);
        await result(KIND_OF[e.name] ?? `original:${e.name}`, `original.${e.name}`, level.pmt, main ?? null, e.value.Folder, {
          entry: e.key,
          ...e.value,
        });
        // the HV at gain 1e7 comes from the PMT itself (below), which is what the original's later tasks used
        const exp = e.name === 'GainMeasurement' ? num(e.value.GainFitExp) : undefined;
        if (exp !== undefined) await result('measure_gain', 'gain.fit_exponent', level.pmt, exp, e.value.Folder, { entry: e.key });
      }
      // the PMT's own HV at gain 1e7 (what the original's later tasks used), when it was measured
      const hv = num(level.doc.HV1e7Gain);
      if (level.pmt && hv !== undefined && hv > 0) {
        const isNew = await keep(tx, report, {
          ...base,
          pmt: level.pmt,
          level: 'entry',
          entry_key: 'HV1e7Gain',
          raw: JSON.stringify(level.doc.HV1e7Gain),
        });
        if (isNew)
          await result('original', 'gain.hv1e7', level.pmt, hv, null, {
            from: `${level.pmt}.HV1e7Gain`,
            SerialNumber: level.doc.SerialNumber ?? null,
          });
      }
    }
  });
}

function withoutEntries(pmt: Json): Json {
  return Object.fromEntries(Object.entries(pmt).filter(([k, v]) => !(ENTRY.test(k) && isObject(v))));
}

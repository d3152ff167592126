/**
 * A year of FAT runs in a store, written through the code paths the master uses (runs and modules
 * rows as `fat run new` stores them, the journal's `createSchedule`, `recordResults` once per task
 * as the task kinds call it, constant_monitor's samples as monitoring samples through its
 * `TaskRecord`, events through the store sink), without running the simulator.
 *
 * Every run tests 16 D-Eggs; four of them were tested in the run before (re-tests), so a module's
 * history spans one or two runs. Per module and run there are about 270 result rows: the gain,
 * baseline, scaler, linearity, double-pulse, flasher and STF quantities once, and the monitoring
 * samples of 8 constant_monitor tasks (3 iterations each) and 10 online_mon calls.
 */
import fs from 'node:fs';
import type { Clock } from '../../src/clock/clock.js';
import type { Workspace } from '../../src/station/workspace.js';
import { createSchedule, type PlannedTask } from '../../src/engine/journal.js';
import { recordResults, type ResultInput } from '../../src/records/results.js';
import { TaskRecord } from '../../src/records/task-record.js';
import { deggFilePath, freshDeggJson, runFilePath, runJsonBody } from '../../src/records/run-files.js';
import type { RegistryEntry } from '../../src/station/registry.js';
import { createStoreSink } from '../../src/notify/store-sink.js';
import { writeJsonAtomic } from '../../src/util/atomic-write.js';

export const MODULES_PER_RUN = 16;
/** modules of a run that were already tested in the run before */
const RETESTS = 4;
const PMTS = ['LowerPmt', 'UpperPmt'] as const;
const DAY_MS = 86_400_000;

/** A clock the generator moves by hand, so rows are spread over the year. */
export class HandClock implements Clock {
  readonly scale = 1;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(ms: number): void {
    this.t = ms;
  }
  async sleep(): Promise<void> {}
}

/** A deterministic generator (mulberry32), so both engines get the same data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, around: (mean: number, spread: number) => mean + spread * (2 * next() - 1) };
}

export function serialOf(runIndex: number, port: number): string {
  return `DEgg2026-${String(runIndex * (MODULES_PER_RUN - RETESTS) + port + 1).padStart(4, '0')}`;
}

function registryEntry(serial: string, n: number): RegistryEntry {
  return {
    serial,
    icm_id: n.toString(16).padStart(16, '0'),
    icm: `ICM-${n}`,
    box: n,
    mainboard: `MB-${n}`,
    flasher: `FL-${n}`,
    camera: `CAM-${n}`,
    upper_glass: `UG-${n}`,
    lower_glass: `LG-${n}`,
    penetrator: `P-${n}`,
    sealing_date: '2026-01-01',
    arrival_date: '2026-02-01',
    electrical_inspection: 'ok',
    lower_pmt: { serial: `SQ${String(2 * n).padStart(4, '0')}`, hvb: `HVB-${2 * n}` },
    upper_pmt: { serial: `SQ${String(2 * n + 1).padStart(4, '0')}`, hvb: `HVB-${2 * n + 1}` },
  };
}

interface Mod {
  port: number;
  serial: string;
}

/** The result rows one task of a FAT writes for all modules, as its kind records them. */
function taskRows(kind: string, mods: Mod[], r: ReturnType<typeof rng>, iteration: number): ResultInput[] {
  const rows: ResultInput[] = [];
  for (const m of mods) {
    const at = (pmt?: string) => ({ port: m.port, serial: m.serial, pmt: pmt ?? null });
    const temperatureC = r.around(-30, 12);
    switch (kind) {
      case 'measure_gain':
        for (const p of PMTS)
          rows.push(
            { ...at(p), name: 'gain.hv1e7', value: r.around(1500, 250), detail: { fitNorm: 1e-15, points: 7 } },
            { ...at(p), name: 'gain.spe_peak_height', value: r.around(4.5, 2) },
            { ...at(p), name: 'gain.fit_exponent', value: r.around(7, 0.5) },
          );
        break;
      case 'measure_baseline':
        for (const p of PMTS)
          rows.push(
            { ...at(p), name: 'baseline.mean', value: r.around(8020, 60) },
            { ...at(p), name: 'baseline.std', value: r.around(3, 2) },
          );
        break;
      case 'measure_scaler':
        for (const p of PMTS)
          rows.push(
            { ...at(p), name: 'darkrate.cold', value: r.around(1800, 1200), detail: { temperatureC } },
            { ...at(p), name: 'dt.rate', value: r.around(2500, 800), detail: { correlatedFraction: r.around(0.05, 0.03) } },
          );
        break;
      case 'measure_linearity':
        for (const p of PMTS) rows.push({ ...at(p), name: 'linearity.charge_ratio_200pe', value: r.around(0.8, 0.15) });
        break;
      case 'measure_pulsed_waveform':
        for (const p of PMTS)
          rows.push(
            { ...at(p), name: 'double_pulse.separation', value: r.around(20, 1.5) },
            { ...at(p), name: 'double_pulse.peak_ratio', value: r.around(1, 0.05) },
          );
        break;
      case 'measure_flasher':
        rows.push({ ...at(), name: 'flasher.leds_working', value: r.next() < 0.03 ? 11 : 12 });
        break;
      case 'measure_stf':
        rows.push({ ...at(), name: 'stf.failed_items', value: r.next() < 0.03 ? 1 : 0 });
        break;
      case 'gain_check':
        for (const p of PMTS) rows.push({ ...at(p), name: 'gain.check', value: r.around(1e7, 0.08e7), detail: { hvVolts: 1500 } });
        break;
      case 'constant_monitor':
        for (const p of PMTS) {
          const t = temperatureC;
          rows.push(
            { ...at(p), name: 'monitor.spe_charge', value: r.around(1.6, 0.15), detail: { hvVolts: 1500, gain: 1e7, iteration } },
            {
              ...at(p),
              name: t < -12 ? 'darkrate.cold' : t < 0 ? 'darkrate.mid' : 'darkrate.warm',
              value: r.around(2000, 1000),
              detail: { temperatureC: t, iteration },
            },
            { ...at(p), name: 'dt.rate', value: r.around(2500, 800), detail: { correlatedFraction: 0.05 } },
          );
        }
        rows.push({ ...at(), name: 'monitor.pressure', value: r.around(450, 100), detail: { iteration } });
        break;
      case 'online_mon':
        for (const p of PMTS)
          rows.push(
            { ...at(p), name: 'monitor.hv_deviation', value: r.around(20, 20), detail: { setVolts: 1500 } },
            { ...at(p), name: 'monitor.hv_rel_std', value: r.around(0.005, 0.004), detail: { stdV: 7 } },
            { ...at(p), name: 'monitor.current_overlimit', value: 0, detail: {} },
          );
        rows.push({ ...at(), name: 'monitor.pressure', value: r.around(450, 100), detail: { temperatureC } });
        break;
      default:
        throw new Error(`year-of-runs: no rows for task kind ${kind}`);
    }
  }
  return rows;
}

/** The schedule of one run: each measurement once, then monitoring, as the standard FAT does. */
function plannedTasks(): Array<PlannedTask & { iterations: number }> {
  const kinds: Array<[string, number]> = [
    ['measure_gain', 1],
    ['measure_baseline', 1],
    ['measure_scaler', 1],
    ['measure_linearity', 1],
    ['measure_pulsed_waveform', 1],
    ['measure_flasher', 1],
    ['measure_stf', 1],
    ['gain_check', 1],
    ['gain_check', 1],
  ];
  for (let i = 0; i < 8; i++) kinds.push(['constant_monitor', 3]);
  for (let i = 0; i < 10; i++) kinds.push(['online_mon', 1]);
  return kinds.map(([kind, iterations], index) => ({
    index,
    section: `${kind}_${index}`,
    kind,
    params: iterations > 1 ? { max_i: iterations } : {},
    runBackup: false,
    estimateS: 3600,
    iterations,
  }));
}

export interface YearSummary {
  runs: number;
  modules: number;
  results: number;
  events: number;
  /** a module tested in two runs, and one from the latest run */
  retestedSerial: string;
  latestSerial: string;
}

/**
 * Fills `ws` (a fresh store) with `runs` runs, one every two weeks ending now. The last run is
 * still going: its last task is running, the ones before are done.
 */
export async function fillYear(ws: Workspace, clock: HandClock, runs = 26, seed = 2026): Promise<YearSummary> {
  const r = rng(seed);
  const sink = createStoreSink(ws);
  const start = Date.UTC(2026, 0, 5, 8);
  let results = 0;
  let events = 0;
  const emit = async (runId: number, level: 'info' | 'warn', kind: string, message: string, data: Record<string, unknown> = {}) => {
    await sink.emit({ level, kind, message, timeMs: clock.now(), runId, data });
    events++;
  };
  for (let ri = 0; ri < runs; ri++) {
    const runNumber = ri + 1;
    const t0 = start + ri * 14 * DAY_MS;
    clock.set(t0);
    const date = new Date(t0).toISOString().slice(0, 10);
    const runFile = runFilePath(ws.home.jsonDir, runNumber);
    const run = await ws.db
      .insertInto('runs')
      .values({
        station: ws.station.name,
        run_number: runNumber,
        comment: `FAT batch ${runNumber}`,
        date,
        operator: 'shifter',
        run_file: runFile,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const runId = Number(run.id);
    const mods: Mod[] = [];
    const deggFiles: Record<string, string> = {};
    for (let port = 0; port < MODULES_PER_RUN; port++) {
      const serial = serialOf(ri, port);
      const n = ri * (MODULES_PER_RUN - RETESTS) + port + 1;
      const reg = registryEntry(serial, n);
      const id = { port, icmId: reg.icm_id, fpgaVersion: 0x10f, softwareVersion: 0x12, flashId: `F${n}`, mainboardId: `M${n}` };
      const jsonFile = deggFilePath(ws.home.jsonDir, runNumber, serial);
      fs.mkdirSync(jsonFile.slice(0, jsonFile.lastIndexOf('/')), { recursive: true });
      writeJsonAtomic(jsonFile, freshDeggJson(id, reg));
      deggFiles[serial] = jsonFile;
      await ws.db
        .insertInto('modules')
        .values({
          run_id: runId,
          port,
          wire_pair: Math.floor(port / 4),
          degg_serial: serial,
          icm_id: reg.icm_id,
          fpga_version: id.fpgaVersion,
          software_version: id.softwareVersion,
          flash_id: id.flashId,
          mainboard_id: id.mainboardId,
          registry: JSON.stringify(reg),
          json_file: jsonFile,
          state: 'active',
          state_reason: null,
        })
        .execute();
      mods.push({ port, serial });
    }
    fs.mkdirSync(runFile.slice(0, runFile.lastIndexOf('/')), { recursive: true });
    writeJsonAtomic(runFile, runJsonBody(deggFiles, `FAT batch ${runNumber}`, date));
    await emit(runId, 'info', 'run.start', `run ${runNumber} started with ${mods.length} D-Eggs`);

    const planned = plannedTasks();
    const scheduleId = await createSchedule(ws, {
      runId,
      masterKey: 'MasterFAT_00',
      configPath: `/fat/schedules/standard.ini`,
      configHash: `sha256-${runNumber}`,
      archivedPath: `/fat/archive/run_${runNumber}.ini`,
      tasks: planned,
    });
    const tasks = await ws.db.selectFrom('tasks').select(['id', 'idx']).where('schedule_id', '=', scheduleId).orderBy('idx').execute();
    const last = ri === runs - 1;
    for (const t of planned) {
      const taskId = Number(tasks[t.index].id);
      const at = t0 + (t.index + 1) * 12 * 3600_000;
      clock.set(at);
      const startedAt = new Date(at).toISOString();
      if (last && t.index === planned.length - 1) {
        await ws.db
          .updateTable('tasks')
          .set({ state: 'running', attempts: 1, started_at: startedAt, progress: 0.4, progress_note: 'iteration 1 of 1' })
          .where('id', '=', taskId)
          .execute();
        await emit(runId, 'info', 'task.start', `[${t.index}] ${t.section} started`);
        break;
      }
      await emit(runId, 'info', 'task.start', `[${t.index}] ${t.section} started`);
      const rows: ResultInput[] = [];
      for (let i = 0; i < t.iterations; i++) rows.push(...taskRows(t.kind, mods, r, i));
      const folder = `/data/${t.kind}/${date}`;
      let recorded;
      if (t.kind === 'constant_monitor') {
        // as the kind records them (tasks/monitor-common.ts): monitoring samples, committed with the task
        const record = new TaskRecord(ws, { runId, taskId });
        recorded = await record.samples(t.kind, folder, rows);
        await record.commitAlone();
      } else recorded = await recordResults(ws, { runId, taskId, kind: t.kind, folder }, rows);
      results += recorded.length;
      for (const x of recorded.filter((y) => y.verdict === 'fail').slice(0, 3))
        await emit(runId, 'warn', `${t.kind}.out-of-range`, `${t.kind}: ${x.serial} ${x.pmt ?? ''} ${x.reason}`, { port: x.port });
      await ws.db
        .updateTable('tasks')
        .set({ state: 'done', attempts: 1, started_at: startedAt, ended_at: new Date(at + 3000_000).toISOString(), progress: 1 })
        .where('id', '=', taskId)
        .execute();
      await emit(runId, 'info', 'task.done', `[${t.index}] ${t.section} done`);
    }
    if (!last) {
      await ws.db
        .updateTable('schedules')
        .set({ state: 'completed', ended_at: new Date(clock.now()).toISOString() })
        .where('id', '=', scheduleId)
        .execute();
      await emit(runId, 'info', 'run.end', `run ${runNumber} completed`);
    }
  }
  return {
    runs,
    modules: runs * MODULES_PER_RUN,
    results,
    events,
    retestedSerial: serialOf(runs - 2, MODULES_PER_RUN - 1),
    latestSerial: serialOf(runs - 1, 0),
  };
}

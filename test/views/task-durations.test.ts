import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/clock/clock.js';
import { forecastOf } from '../../src/engine/forecast.js';
import { createSchedule, endSchedule, finishTask, scheduleTasks, startTask, type PlannedTask } from '../../src/engine/journal.js';
import { formatStatus, stationStatus } from '../../src/engine/status.js';
import type { Workspace } from '../../src/station/workspace.js';
import { replayEta } from '../../src/views/eta-replay.js';
import { durationModel, RECENT_RUNS, RECENT_SCHEDULES } from '../../src/views/task-durations.js';
import { tempWorkspace } from '../notify/workspace.js';

/**
 * Learned task durations on a real SQLite store: schedules are planned, started and finished
 * through the journal on a virtual clock, so the store holds what a master would have written.
 */
describe('durations learned from the station’s finished tasks', () => {
  let ws: Workspace;
  let clock: VirtualClock;
  let runNumber = 0;
  afterEach(async () => {
    await ws?.close();
  });

  async function home() {
    const t = await tempWorkspace(null, 1);
    ws = t.ws;
    clock = ws.clock as VirtualClock;
    runNumber = 1;
    return t.runId;
  }

  async function newRun(station = ws.station.name): Promise<number> {
    runNumber++;
    const r = await ws.db
      .insertInto('runs')
      .values({ station, run_number: runNumber, comment: 't', date: '2026-03-01', operator: 't', run_file: `/tmp/run_${runNumber}.json` })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  const task = (index: number, kind: string, estimateS: number, params: Record<string, unknown> = {}, person?: string): PlannedTask => ({
    index,
    section: `${kind}_${index}`,
    kind,
    params,
    runBackup: false,
    estimateS,
    person,
  });

  async function plan(runId: number, tasks: PlannedTask[]): Promise<number> {
    return createSchedule(ws, { runId, masterKey: 'MasterFAT_00', configPath: 'x.ini', configHash: 'h', archivedPath: 'x_0.ini', tasks });
  }

  /** runs the schedule's tasks in order, task i taking durationsS[i] lab seconds and gapS between tasks */
  async function runThrough(scheduleId: number, durationsS: number[], gapS = 0, upTo = durationsS.length): Promise<void> {
    const rows = await scheduleTasks(ws, scheduleId);
    for (const [i, t] of rows.slice(0, upTo).entries()) {
      await clock.advance(gapS * 1000);
      await startTask(ws, t.id, clock.now());
      await clock.advance(durationsS[i] * 1000);
      await finishTask(ws, t.id, 'done', clock.now());
    }
    if (upTo === durationsS.length) await endSchedule(ws, scheduleId, 'completed', 'done', clock.now());
  }

  it('without history the catalogue’s estimate is the forecast, and says so', async () => {
    const runId = await home();
    const sid = await plan(runId, [task(0, 'measure_gain', 1000, { n_jobs: 4 })]);
    const { learned, forecast } = await forecastOf(ws, sid);
    expect(learned[0]).toMatchObject({ estimateS: 1000, source: 'catalogue', basis: 'catalogue estimate' });
    expect(forecast.remainingS).toBe(1000);
    expect(forecast.basis).toContain('catalogue estimates');
  });

  it('the median of the finished runs of the same kind and parameters, whatever their comment', async () => {
    const runId = await home();
    for (const d of [300, 500, 450]) {
      const sid = await plan(await newRun(), [task(0, 'measure_gain', 1000, { n_jobs: 4, comment: `run ${d}` })]);
      await runThrough(sid, [d]);
    }
    const sid = await plan(runId, [task(0, 'measure_gain', 1000, { n_jobs: 4, comment: 'today' })]);
    const { learned, forecast } = await forecastOf(ws, sid);
    expect(learned[0]).toMatchObject({ estimateS: 450, catalogueS: 1000, source: 'same', runs: 3, basis: 'median of 3 runs' });
    expect(forecast).toMatchObject({ remainingS: 450, catalogueRemainingS: 1000, basis: 'median of 3 runs' });
    expect(forecast.etaMs).toBe(clock.now() + 450_000);
  });

  it('the same task at the same place in its schedule first: the first of two gain scans searches for the HV', async () => {
    await home();
    const gains = () => [
      task(0, 'measure_gain', 852, { n_jobs: 4, comment: 'gain 1' }),
      task(1, 'measure_gain', 852, { n_jobs: 4, comment: 'gain 2' }),
    ];
    await runThrough(await plan(await newRun(), gains()), [1400, 800]);
    await runThrough(await plan(await newRun(), gains()), [1600, 820]);
    const sid = await plan(await newRun(), [...gains(), task(2, 'measure_gain', 852, { n_jobs: 4, comment: 'gain 3' })]);
    const { learned } = await forecastOf(ws, sid);
    // the third has no place of its own: the four runs of these parameters anywhere
    expect(learned.map((l) => [l.estimateS, l.basis])).toEqual([
      [1500, 'median of 2 runs'],
      [810, 'median of 2 runs'],
      [(820 + 1400) / 2, 'median of 4 runs'],
    ]);
  });

  it('scales with the module count as the catalogue does, and learns from other parameters when it must', async () => {
    const runId = await home();
    // planned for 8 modules (catalogue 100 s), it took 200 s
    await runThrough(await plan(await newRun(), [task(0, 'status_check', 100, { reboot: false })]), [200]);
    const sid = await plan(runId, [
      // 16 modules: the catalogue says 200 s, so twice that
      task(0, 'status_check', 200, { reboot: false }),
      // other parameters: the kind's ratio, 2, times this task's catalogue estimate
      task(1, 'status_check', 300, { reboot: true }),
      task(2, 'wait_time', 60, { pause: 60 }),
    ]);
    const { learned, forecast } = await forecastOf(ws, sid);
    expect(learned.map((l) => [l.estimateS, l.source])).toEqual([
      [400, 'same'],
      [600, 'kind'],
      [60, 'catalogue'],
    ]);
    expect(learned[1].basis).toBe('median of 1 run with other parameters');
    expect(forecast.basis).toBe('median of 1 run; 1 of 3 tasks from runs with other parameters; 1 of 3 tasks from the catalogue');
  });

  it('learns only from this station, on this clock, the most recent runs, done ones', async () => {
    const runId = await home();
    const t = () => [task(0, 'wait_time', 10, { pause: 10 })];
    // another station on the same store, and a schedule run on another time scale
    await ws.db.insertInto('stations').values({ name: 'other-station' }).execute();
    await runThrough(await plan(await newRun('other-station'), t()), [1000]);
    const scaled = await plan(await newRun(), t());
    await runThrough(scaled, [2000]);
    await ws.db.updateTable('schedules').set({ clock_scale: 50 }).where('id', '=', scaled).execute();
    // a failed one
    const failed = await plan(await newRun(), t());
    const [f] = await scheduleTasks(ws, failed);
    await startTask(ws, f.id, clock.now());
    await clock.advance(3000_000);
    await finishTask(ws, f.id, 'failed', clock.now(), { error: 'x' });
    // a schedule from before the clock was recorded counts
    const old = await plan(await newRun(), t());
    await runThrough(old, [5]);
    await ws.db.updateTable('schedules').set({ clock_scale: null }).where('id', '=', old).execute();
    // then RECENT_RUNS runs of 12 s: the 5 s one falls out of the median's window
    for (let i = 0; i < RECENT_RUNS; i++) await runThrough(await plan(await newRun(), t()), [12]);
    const model = await durationModel(ws);
    expect(model.history).toHaveLength(RECENT_RUNS + 1);
    expect(model.estimate({ kind: 'wait_time', params: { pause: 10 }, estimate_s: 10 })).toMatchObject({
      estimateS: 12,
      runs: RECENT_RUNS,
    });
    const sid = await plan(runId, t());
    expect((await forecastOf(ws, sid)).forecast.remainingS).toBe(12);
    // only the latest RECENT_SCHEDULES schedules that finished a task are read: the 5 s one goes
    for (let i = RECENT_RUNS + 1; i < RECENT_SCHEDULES + 1; i++) await runThrough(await plan(await newRun(), t()), [12]);
    const later = await durationModel(ws);
    expect(later.history).toHaveLength(RECENT_SCHEDULES);
    expect(later.history.map((h) => h.durationS)).not.toContain(5);
  });

  it('`fat status` shows the learned ETA, the next person and the basis; a running task counts by its progress', async () => {
    await home();
    const tasks = () => [task(0, 'wait_time', 100, { pause: 100 }), task(1, 'manual_input', 0, { message: 'go?' }, 'manual input: go?')];
    await runThrough(await plan(await newRun(), tasks()), [300, 40]);
    await runThrough(await plan(await newRun(), tasks()), [500, 60]);
    // the latest run is the one `fat status` shows
    const sid = await plan(await newRun(), tasks());
    const [first] = await scheduleTasks(ws, sid);
    await startTask(ws, first.id, clock.now());
    await ws.db.updateTable('tasks').set({ progress: 0.5 }).where('id', '=', first.id).execute();
    const now = clock.now();
    const s = await stationStatus(ws);
    // wait_time: 100 s times the median of 3 and 5, half done; manual_input (catalogue 0): the median of 40 and 60 s
    expect(s.schedule).toMatchObject({
      remainingS: 200 + 50,
      basis: 'median of 2 runs',
      catalogueRemainingS: 50,
      eta: new Date(now + 250_000).toISOString(),
      nextPerson: { idx: 1, atMs: now + 200_000 },
    });
    const text = formatStatus(s).join('\n');
    expect(text).toContain('(ETA');
    expect(text).toContain('median of 2 runs; the catalogue says 50 s)');
  });

  it('replays a finished run: the learned ETA at each task start against the real end, next to the catalogue’s', async () => {
    await home();
    const tasks = () => [
      task(0, 'wait_time', 60, { pause: 60 }),
      task(1, 'measure_gain', 1000, { n_jobs: 4 }),
      task(2, 'wait_time', 60, { pause: 60 }),
    ];
    await runThrough(await plan(await newRun(), tasks()), [70, 2000, 70]);
    await runThrough(await plan(await newRun(), tasks()), [80, 2200, 80]);
    const third = await plan(await newRun(), tasks());
    await runThrough(third, [75, 2100, 75], 10);
    const r = await replayEta(ws);
    expect(r.run).toBe(runNumber);
    expect(r.basisAtStart).toBe('median of 2 runs');
    // at the start: learned 75 + 2100 + 75 = 2250, real 2250 + the two 10 s gaps
    expect(r.boundaries[0]).toMatchObject({ index: 0, realS: 2270, learnedS: 2250, catalogueS: 1120, learnedErrorS: -20 });
    expect(r.boundaries.map((b) => b.index)).toEqual([0, 1, 2]);
    expect(r.learnedMeanAbsErrorS).toBeLessThan(r.catalogueMeanAbsErrorS / 10);

    // a run still going cannot be replayed; the one before it can
    await runThrough(await plan(await newRun(), tasks()), [75, 2100, 75], 0, 1);
    await expect(replayEta(ws)).rejects.toThrow(`run ${runNumber} of station ${ws.station.name} has no completed schedule to replay`);
    expect((await replayEta(ws, String(runNumber - 1))).boundaries[0].realS).toBe(2270);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillYear, HandClock, MODULES_PER_RUN } from '../../bench/lib/year-of-runs.js';
import { ensureHome, openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { resultsReport } from '../../src/views/results-report.js';
import { moduleHistory } from '../../src/report/module-history.js';
import { stationStatus } from '../../src/engine/status.js';

/** The benchmarks' store filler writes what the real read paths accept: runs, verdicts, histories, status. */
describe('bench/lib/year-of-runs', () => {
  let dir: string;
  let ws: Workspace;
  let year: Awaited<ReturnType<typeof fillYear>>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-year-'));
    ensureHome(dir);
    const clock = new HandClock(Date.now());
    ws = await openWorkspace(dir, clock);
    year = await fillYear(ws, clock, 3);
  });
  afterAll(async () => {
    await ws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills runs of 16 judged modules, and the latest run is still going', async () => {
    const report = await resultsReport(ws);
    expect(report.run).toBe(3);
    expect(report.modules).toHaveLength(MODULES_PER_RUN);
    expect(report.modules.every((m) => m.judged > 20)).toBe(true);
    const status = await stationStatus(ws);
    expect(status.schedule?.current?.kind).toBe('online_mon');
    expect(status.schedule?.done).toBe(status.schedule!.total - 1);
    expect(year.results).toBeGreaterThan(3 * MODULES_PER_RUN * 200);
  });

  it('re-tests four modules of the run before, so their history spans two runs', async () => {
    const h = await moduleHistory(ws, year.retestedSerial);
    expect(h?.runs.map((r) => r.run.runNumber).sort()).toEqual([2, 3]);
    expect(h?.darkVsTemperature.length).toBeGreaterThan(10);
  });

  it('writes the same rows for the same seed (both engines of bench/store.ts get the same data)', async () => {
    const d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-year-'));
    ensureHome(d2);
    const clock = new HandClock(Date.now());
    const ws2 = await openWorkspace(d2, clock);
    try {
      await fillYear(ws2, clock, 2); // run 1 complete in both, as in the 3-run fill
      const pick = (w: Workspace) =>
        w.db
          .selectFrom('results')
          .select(['degg_serial', 'pmt', 'name', 'value', 'verdict'])
          .where('run_id', '=', 1)
          .orderBy('id')
          .execute();
      expect(await pick(ws2)).toEqual(await pick(ws));
    } finally {
      await ws2.close();
      fs.rmSync(d2, { recursive: true, force: true });
    }
  });
});

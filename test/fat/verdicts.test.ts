import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { recordResults } from '../../src/records/results.js';
import { runResults, runVerdicts, verdictOfRows } from '../../src/records/verdicts.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real SQLite store with one run of three modules (the third excluded). */
async function workspace(): Promise<{ ws: Workspace; runId: number; clock: VirtualClock }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-verdicts-'));
  const clock = new VirtualClock(Date.UTC(2026, 10, 27, 8, 0, 0));
  const ws = await openWorkspace(dir, clock);
  cleanups.push(async () => {
    await ws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 3, comment: 'batch', date: '2026-11-27', operator: 'carol', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const runId = Number(run.id);
  for (const [i, serial] of ['DEgg-A', 'DEgg-B', 'DEgg-C'].entries())
    await ws.db
      .insertInto('modules')
      .values({
        run_id: runId,
        port: 5000 + i,
        wire_pair: 0,
        degg_serial: serial,
        icm_id: '',
        fpga_version: 272,
        software_version: 62,
        flash_id: '',
        mainboard_id: '',
        registry: '{}',
        json_file: '',
        state: i === 2 ? 'excluded' : 'active',
        state_reason: i === 2 ? 'did not answer' : null,
      })
      .execute();
  return { ws, runId, clock };
}

const origin = (runId: number, kind: string) => ({ runId, taskId: null, kind, folder: null });

describe('module verdicts from the results store', () => {
  it('the latest result per (PMT, quantity) decides; info does not count; a module with nothing judged is not judged', async () => {
    const { ws, runId, clock } = await workspace();
    // A: a first scan fails its lower PMT, a re-analysis later passes it; the upper PMT is marginal
    await recordResults(ws, origin(runId, 'measure_gain'), [
      { port: 5000, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 2100 },
      { port: 5000, serial: 'DEgg-A', pmt: 'UpperPmt', name: 'gain.hv1e7', value: 1980 },
    ]);
    await clock.advance(60_000);
    await recordResults(ws, origin(runId, 'analysis_wrapper'), [
      { port: 5000, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'gain.hv1e7', value: 1450 },
      { port: 5000, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'timing.tts', value: null, notMeasured: 'no RapCal here' },
      { port: 5000, serial: 'DEgg-A', pmt: 'LowerPmt', name: 'gain.fit_exponent', value: 7.1 },
    ]);
    // B: only info rows
    await recordResults(ws, origin(runId, 'run_timing'), [
      { port: 5001, serial: 'DEgg-B', pmt: 'LowerPmt', name: 'timing.tts', value: null, notMeasured: 'no RapCal here' },
    ]);
    // C: a dark rate far too high
    await recordResults(ws, origin(runId, 'measure_scaler'), [
      { port: 5002, serial: 'DEgg-C', pmt: 'UpperPmt', name: 'darkrate.cold', value: 9000 },
    ]);

    const v = await runVerdicts(ws, runId);
    expect(v.map((m) => [m.serial, m.verdict, m.judged, m.info])).toEqual([
      ['DEgg-A', 'marginal', 2, 2],
      ['DEgg-B', 'not judged', 0, 1],
      ['DEgg-C', 'fail', 1, 0],
    ]);
    expect(v[0].reasons).toHaveLength(1);
    expect(v[0].reasons[0]).toMatch(/DEgg-A UpperPmt HV at gain 1e7 1980 V is within 50 V of a limit/);
    expect(v[1].reasons).toEqual(['nothing judged: its 1 result(s) are all info']);
    expect(v[2].reasons[0]).toMatch(/9000 Hz is above 4000 Hz/);
    expect(v[2]).toMatchObject({ state: 'excluded', stateReason: 'did not answer' });

    // every row stays on record; the replaced one is marked, with its provenance
    const rows = await runResults(ws, runId, 'DEgg-A');
    expect(rows.map((r) => [r.kind, r.pmt, r.name, r.verdict, r.superseded])).toEqual([
      ['measure_gain', 'LowerPmt', 'gain.hv1e7', 'fail', true],
      ['measure_gain', 'UpperPmt', 'gain.hv1e7', 'marginal', false],
      ['analysis_wrapper', 'LowerPmt', 'gain.hv1e7', 'pass', false],
      ['analysis_wrapper', 'LowerPmt', 'timing.tts', 'info', false],
      ['analysis_wrapper', 'LowerPmt', 'gain.fit_exponent', 'info', false],
    ]);
    expect(rows[0].provenance).toMatchObject({ operator: 'carol', firmware: { fpga: 272, software: 62 }, scheduleHash: null });
    expect(rows[0].goalpostsVersion).toMatch(/^icefat-/);
  });

  it('a later failure replaces an earlier pass', () => {
    const v = verdictOfRows([
      { id: 1, pmt: 'LowerPmt', name: 'gain.hv1e7', verdict: 'pass', reason: '' },
      { id: 2, pmt: 'LowerPmt', name: 'gain.hv1e7', verdict: 'fail', reason: 'too high' },
      { id: 3, pmt: 'UpperPmt', name: 'gain.hv1e7', verdict: 'pass', reason: '' },
    ]);
    expect(v).toEqual({ verdict: 'fail', reasons: ['too high'], judged: 2, info: 0 });
  });
});

import type { Workspace } from '../../src/station/workspace.js';

/** A run with two modules and one judged result each, written to the store as the master would. */
export async function seedRun(ws: Workspace): Promise<void> {
  const run = await ws.db
    .insertInto('runs')
    .values({
      station: ws.station.name,
      run_number: 1,
      comment: 'api test',
      date: '2026-11-27',
      operator: 'alice',
      run_file: '/nowhere/run_00001.json',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const serials = ['DEgg2026-1-001', 'DEgg2026-1-002'];
  for (const [i, serial] of serials.entries()) {
    await ws.db
      .insertInto('modules')
      .values({
        run_id: run.id,
        port: 5000 + i,
        wire_pair: 0,
        degg_serial: serial,
        icm_id: `icm${i}`,
        fpga_version: 1,
        software_version: 2,
        flash_id: 'f',
        mainboard_id: 'm',
        registry: '{}',
        json_file: `/nowhere/${serial}.json`,
        state: 'active',
        state_reason: null,
      })
      .execute();
    const provenance = {
      icefatCommit: 'abc',
      icefatDirty: false,
      scheduleHash: null,
      station: ws.station.name,
      operator: 'alice',
      goalpostsVersion: 'v1',
      goalpostsFile: 'g',
      firmware: null,
    };
    await ws.db
      .insertInto('results')
      .values({
        station: ws.station.name,
        run_id: run.id,
        task_id: null,
        kind: 'measure_scaler',
        port: 5000 + i,
        degg_serial: serial,
        pmt: 'LowerPmt',
        name: 'darkrate.cold',
        value: i === 0 ? 900 : 9000,
        verdict: i === 0 ? 'pass' : 'fail',
        goalposts_version: 'v1',
        folder: null,
        detail: JSON.stringify({ temperatureC: -40.5 + i }),
        provenance: JSON.stringify(provenance),
      })
      .execute();
  }
}

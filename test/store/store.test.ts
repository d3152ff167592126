import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, parseJson } from '../../src/store/open.js';

describe('store (SQLite)', () => {
  it('migrates a fresh database and keeps runs, modules and events across reopen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-store-'));
    const url = `sqlite:${path.join(dir, 'fat.db')}`;
    let db = await openStore(url);
    await db.insertInto('stations').values({ name: 'lab-a' }).execute();
    const run = await db
      .insertInto('runs')
      .values({
        station: 'lab-a',
        run_number: 1,
        comment: 'batch 1',
        date: '2026-11-27',
        operator: 'shifter',
        run_file: '/x/run_00001.json',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('modules')
      .values({
        run_id: run.id,
        port: 5000,
        wire_pair: 0,
        degg_serial: 'DEgg2026-1-001',
        icm_id: 'a400000f18a1722d',
        fpga_version: 272,
        software_version: 62,
        flash_id: 'f'.repeat(32),
        mainboard_id: 'mb',
        registry: '{}',
        json_file: '/x.json',
        state: 'active',
      })
      .execute();
    await db.destroy();

    db = await openStore(url); // reopening runs no migration twice and loses nothing
    const mods = await db
      .selectFrom('modules')
      .innerJoin('runs', 'runs.id', 'modules.run_id')
      .select(['degg_serial', 'run_number'])
      .execute();
    expect(mods).toEqual([{ degg_serial: 'DEgg2026-1-001', run_number: 1 }]);
    // the same run number twice on one station is refused
    await expect(
      db.insertInto('runs').values({ station: 'lab-a', run_number: 1, comment: '', date: '', operator: '', run_file: '' }).execute(),
    ).rejects.toThrow(/UNIQUE/);
    await db.destroy();
  });

  it('a corrupt JSON column is reported with what it was', () => {
    expect(() => parseJson('{oops', 'check_results.reading of check 7')).toThrow(/check_results.reading of check 7/);
  });
});

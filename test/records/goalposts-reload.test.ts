import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ensureHome, openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { DEFAULT_GOALPOSTS } from '../../src/records/goalposts-file.js';
import { recordResults } from '../../src/records/results.js';

/**
 * Result batches judge against the goalposts file without parsing it again each time, yet an
 * edit of the station's goalposts.toml applies to the very next batch, even one that keeps the
 * file's size and comes within the file system's clock tick.
 */
let ws: Workspace | undefined;
let dir: string | undefined;
afterAll(async () => {
  await ws?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('an edited goalposts file judges the next batch', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-gp-reload-'));
  ensureHome(dir);
  ws = await openWorkspace(dir);
  const run = await ws.db
    .insertInto('runs')
    .values({ station: ws.station.name, run_number: 1, comment: 'gp', date: '2026-11-28', operator: 'dave', run_file: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const file = path.join(dir, 'goalposts.toml');
  const original = fs.readFileSync(DEFAULT_GOALPOSTS, 'utf8');
  const section = /\["monitor\.spe_charge"\][^[]*high = 1\.8/;
  expect(original).toMatch(section);
  fs.writeFileSync(file, original);
  const record = async () =>
    (
      await recordResults(ws!, { runId: Number(run.id), taskId: null, kind: 'constant_monitor', folder: null }, [
        { port: 0, serial: 'DEgg-0', pmt: 'LowerPmt', name: 'monitor.spe_charge', value: 1.7 },
      ])
    )[0].verdict;
  expect(await record()).toBe('pass');
  // same size: only the limit changes
  fs.writeFileSync(
    file,
    original.replace(section, (m) => m.replace('high = 1.8', 'high = 1.6')),
  );
  expect(await record()).toBe('fail');
  fs.writeFileSync(file, original);
  expect(await record()).toBe('pass');
  fs.rmSync(file);
  expect(await record()).toBe('pass');
});

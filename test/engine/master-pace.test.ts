import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimLab } from '../../src/sim/lab.js';
import { ensureHome, openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { registryToml } from '../../src/station/registry.js';
import { simRegistry } from '../../src/fat/sim-registry.js';
import { createRun } from '../../src/fat/run-new.js';
import { runMaster } from '../../src/engine/master.js';
import { createNotifier } from '../../src/notify/index.js';
import { readDoc } from '../../src/records/json-docs.js';

/**
 * A burst of short tasks (zero-length waits on a lab running 1000x): the master writes the run file
 * less often than once a task and reads the lab conditions less often than once a task, yet at the
 * end the file holds exactly what the store holds, and every task's state is in it.
 */
const BASE_PORT = 7900;
const N = 40;

describe('the master through a burst of short tasks', () => {
  let lab: Awaited<ReturnType<typeof startSimLab>>;
  let ws: Workspace;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-master-pace-'));
    ensureHome(dir, { seed: 5, basePort: BASE_PORT, timeScale: 1000 });
    lab = await startSimLab({ seed: 5, basePort: BASE_PORT, timeScale: 1000, domnet: 'auto' });
    ws = await openWorkspace(dir);
    fs.writeFileSync(ws.home.registryFile, registryToml(simRegistry(lab.truth)));
  }, 60_000);
  afterAll(async () => {
    await ws?.close();
    await lab?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('completes with the run file equal to the store, fewer file writes and condition readings than tasks', async () => {
    const run = await createRun(ws, { comment: 'pace' });
    const ini = ['[constants]', `run_file = ${run.runFile}`, ''];
    for (let i = 0; i < N; i++) ini.push(`[wait_time_${i}]`, 'task = wait_time', 'pause = 0', '');
    const file = path.join(dir, 'pace.ini');
    fs.writeFileSync(file, ini.join('\n'));

    // every write of the run file, seen as a rename onto it
    let writes = 0;
    const watcher = fs.watch(path.dirname(run.runFile), (_, name) => void (name === path.basename(run.runFile) && writes++));
    const outcome = await runMaster(ws, {
      configPath: file,
      recover: false,
      force: false,
      interactive: false,
      signal: new AbortController().signal,
      notifier: (runId, runNumber) => createNotifier(ws, runId, { runNumber, console: false, slack: false }),
    }).finally(() => watcher.close());
    expect(outcome.state, outcome.message).toBe('completed');

    const stored = await readDoc(ws, run.runFile);
    expect(JSON.parse(fs.readFileSync(run.runFile, 'utf8'))).toEqual(stored);
    const entry = stored.MasterFAT_00 as Record<string, unknown>;
    expect(Array.from({ length: N }, (_, i) => entry[`[${i}] wait_time_${i}`])).toEqual(Array(N).fill(1));
    expect(entry.end_time).toEqual(expect.any(String));
    const pending = await ws.db.selectFrom('json_docs').select('path').whereRef('exported', '<', 'version').execute();
    expect(pending).toEqual([]);

    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(N);
    const readings = await ws.db
      .selectFrom('events')
      .select('id')
      .where('run_id', '=', run.runId)
      .where('kind', '=', 'conditions.reading')
      .execute();
    expect(readings.length).toBeGreaterThanOrEqual(1);
    expect(readings.length).toBeLessThan(N);
  }, 120_000);
});

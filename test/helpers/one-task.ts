import path from 'node:path';
import { createSchedule, scheduleTasks } from '../../src/engine/journal.js';
import type { RunScope } from '../../src/engine/task-runner.js';
import { insertDocs } from '../../src/records/json-docs.js';
import type { FatEvent } from '../../src/station/events.js';
import type { ActiveModule, TaskKind } from '../../src/tasks/types.js';
import { tempWorkspace } from '../notify/workspace.js';

/**
 * A fresh home (real SQLite store, virtual clock) with one run, its run document, the empty D-Egg
 * documents of `serials` (ports from 5000), a schedule of one task of `kind` (with `params`, as
 * the journal stores them) and the scope the engine runs that task in (`runTask(scope, task,
 * kind)`); the events it emits are collected. `close` goes into the test's afterAll.
 */
export async function oneTaskScope(kind: TaskKind, serials: string[] = [], params: Record<string, unknown> = {}) {
  const { ws, runId, dir } = await tempWorkspace(null);
  const runFile = path.join(dir, 'run.json');
  const modules: ActiveModule[] = serials.map((serial, i) => ({
    port: 5000 + i,
    serial,
    wirePair: i >> 2,
    jsonFile: path.join(dir, `${serial}.json`),
  }));
  await insertDocs(ws.db, ws.station.name, [
    { path: runFile, doc: { comment: 'x', date: '2026-03-01' }, runId },
    ...modules.map((m) => ({ path: m.jsonFile, doc: { LowerPmt: {}, UpperPmt: {} }, runId })),
  ]);
  const sid = await createSchedule(ws, {
    runId,
    masterKey: 'MasterFAT_00',
    configPath: 'x.ini',
    configHash: 'h',
    archivedPath: 'x_0.ini',
    tasks: [{ index: 0, section: 'k_0', kind: kind.name, params, runBackup: false, estimateS: 60 }],
  });
  const [task] = await scheduleTasks(ws, sid);
  const events: FatEvent[] = [];
  const ac = new AbortController();
  const scope: RunScope = {
    ws,
    run: { id: runId, number: 42, runFile },
    masterKey: 'MasterFAT_00',
    modules,
    emit: (e) => events.push({ ...e, timeMs: ws.clock.now(), runId }),
    interactive: false,
    signal: ac.signal,
    recovering: false,
    watchdogFactor: 2,
  };
  return { ws, runId, dir, runFile, task, scope, ac, events, close: () => ws.close() };
}

import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import { verifyModule } from '../station/module-link.js';
import { activeRunModules } from '../station/runs.js';
import { runName } from '../records/run-files.js';
import { estimateSchedule, formatDurationS, type Schedule } from '../fat/schedule/parse.js';
import { catalogue } from '../tasks/catalogue.js';
import { reportFlashes } from '../tasks/status-check.js';
import type { FatEvent } from '../station/events.js';
import { condensedSchedule } from './listing.js';
import { archiveConfig, nextMasterKey, writeMasterEntry } from '../records/master-entry.js';
import type { MasterOutcome } from './master.js';

/**
 * `fat master CONFIG --test`, the original's `fat_master.py --test`: says that no data will be
 * collected, checks that every D-Egg answers (flashing an unconfigured FPGA, excluding nobody),
 * posts the condensed schedule, archives the schedule file and records a `MasterFAT_NN` entry with
 * every task at -1 in the run file; then it stops. No task runs and the store's journal is not
 * touched, so the real start afterwards is a fresh one (and writes the next MasterFAT_NN).
 */
export async function testSchedule(
  ws: Workspace,
  o: {
    schedule: Schedule;
    run: { id: number; number: number; runFile: string };
    configPath: string;
    emit: (e: Omit<FatEvent, 'timeMs' | 'runId'>) => void;
  },
): Promise<MasterOutcome> {
  const { schedule, run, emit } = o;
  emit({
    level: 'warn',
    kind: 'run.test',
    message: `You are running with a testing configuration! - No data will be collected! (run ${run.number}, ${o.configPath})`,
    audience: 'channel',
  });

  const modules = await activeRunModules(ws, run.id);
  const checks = await Promise.all(
    modules.map((m) => verifyModule(ws.station.daq_host, m.port, ws.station.expected.fpga_version, ws.clock)),
  );
  checks.forEach((c, i) => {
    reportFlashes(emit, modules[i], c);
    if (!c.ok)
      emit({
        level: 'warn',
        kind: 'module.check-failed',
        message: `D-Egg ${modules[i].serial} (port ${c.port}) returned false during check: ${c.message}`,
        audience: 'people',
      });
  });

  const key = await nextMasterKey(ws, run.runFile);
  const archived = archiveConfig(o.configPath, path.join(ws.home.jsonDir, runName(run.number)));
  await writeMasterEntry(
    ws,
    run.runFile,
    key,
    schedule.tasks.map((t) => ({ index: t.index, section: t.section, state: -1 })),
    archived,
    new Date(ws.clock.now()).toISOString().slice(0, 10),
  );
  const cat = catalogue();
  const est = estimateSchedule(schedule, cat, modules.length);
  const ready = checks.filter((c) => c.ok).length;
  const message =
    `Test of ${o.configPath}: run ${run.number}, Ready D-Eggs: ${ready}/${modules.length}, ${schedule.tasks.length} tasks ` +
    `(about ${formatDurationS(est.totalS)}) recorded as ${key} in ${run.runFile}; nothing was measured`;
  emit({
    level: ready < modules.length ? 'warn' : 'info',
    kind: 'run.test-listing',
    message,
    detail: condensedSchedule(
      cat,
      schedule.tasks.map((t) => ({ idx: t.index, kind: t.kind })),
    ).join('\n'),
    audience: 'channel',
    data: { masterKey: key, archived, tasks: schedule.tasks.length, ready, modules: modules.length },
  });
  return { runNumber: run.number, state: 'tested', message };
}

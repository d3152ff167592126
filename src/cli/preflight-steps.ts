import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Workspace } from '../station/workspace.js';
import type { StepResult, Walk } from '../fat/preflight/journal.js';
import type { PreflightStepKey } from '../fat/preflight/steps.js';
import type { TemplateName } from '../fat/schedule/templates.js';
import type { Face } from './preflight-face.js';
import { runMeasurement } from './measure-run.js';

/**
 * One runner per step of `fat preflight`, each calling the library function of the command the
 * step stands for (fat setup, run new, check ..., measure gain, schedule create, the logbook form,
 * the master) and returning what it found. A runner throws or returns `fail` when the step failed.
 */
export interface PreflightOptions {
  comment?: string;
  schedule?: string;
  template: TemplateName;
  freq?: number;
  jobs: number;
  visibilityEvents: number;
  gainEvents: number;
  allowDirty: boolean;
  allowMissing: boolean;
  operator: string;
}

export interface StepContext {
  ws: Workspace;
  walk: Walk;
  face: Face;
  opts: PreflightOptions;
}

export type Outcome = Omit<StepResult, 'step' | 'at'>;

const pass = (message: string, data: Record<string, unknown> = {}): Outcome => ({ state: 'pass', message, data });
const fail = (message: string, data: Record<string, unknown> = {}): Outcome => ({ state: 'fail', message, data });

/** The run the walk made (step `run`), read back from the store so a rerun has it too. */
async function walkRun(c: StepContext) {
  if (c.walk.runId === null) throw new Error('the walk has no run yet: its `run new` step has not passed');
  return c.ws.db.selectFrom('runs').selectAll().where('id', '=', c.walk.runId).executeTakeFirstOrThrow();
}

const earlier = (c: StepContext, step: PreflightStepKey) => c.walk.results.find((r) => r.step === step)?.data ?? {};
/** the schedule file the `schedule` step chose ('' before it passed) */
const scheduleFile = (c: StepContext) => {
  const f = earlier(c, 'schedule').file;
  return typeof f === 'string' ? f : '';
};

export const RUNNERS: Record<PreflightStepKey, (c: StepContext) => Promise<Outcome>> = {
  domnet: async ({ ws, face }) => {
    const { runSetup } = await import('../fat/setup.js');
    const r = await runSetup(ws, face.line);
    const bad = [
      ...r.instances
        .filter((i) => i.state !== 'up')
        .map((i) => `DomNet ${i.index} (${i.tty}, ports ${i.basePort}-${i.basePort + 3}): ${i.error ?? i.state}`),
      ...r.modules.filter((m) => !m.ok).map((m) => `D-Egg on port ${m.port}: ${m.message}`),
    ];
    return r.ok
      ? pass(r.summary, { summary: r.summary })
      : fail([`${r.summary}:`, ...bad].join('\n'), { summary: r.summary, problems: bad });
  },

  run: async ({ ws, walk, face, opts }) => {
    const { createRun } = await import('../fat/run-new.js');
    const { attachRun } = await import('../fat/preflight/journal.js');
    const comment = opts.comment ?? (face.interactive ? await face.comment() : undefined);
    if (!comment?.trim()) return fail('a run needs a comment: fat preflight --comment "batch 3, room temperature"');
    const r = await createRun(ws, {
      comment,
      operator: opts.operator,
      allowMissing: opts.allowMissing,
      confirmMissing: face.interactive ? face.confirmMissing : undefined,
    });
    await attachRun(ws, walk, r.runId);
    return pass(
      `New Run Number is: ${r.runNumber} (${r.modules.length} D-Eggs${r.missing.length ? `, ${r.missing.length} missing` : ''}); run file ${r.runFile}`,
      {
        run: r.runNumber,
        runFile: r.runFile,
        comment,
        modules: r.modules.length,
      },
    );
  },

  peripherals: async (c) => {
    const { ws, face } = c;
    const { peripheralsChecked } = await import('../fat/checks/recorded.js');
    const { formatItem, recordChecks } = await import('../records/check-results.js');
    const { dewMargin } = await import('../fat/preflight/dew-margin.js');
    const run = await walkRun(c);
    const { items, failed } = await peripheralsChecked(ws, run);
    for (const i of items.filter((x) => x.verdict !== 'info')) face.line(formatItem(i).trim());
    if (failed.length) return fail(['peripheral check(s) FAILED:', ...failed.map((f) => `${f.subject}: ${f.message}`)].join('\n'));
    const on = await face.laserPowerSupplyOn();
    if (!on) return fail('the laser power supply is not confirmed on');
    const coldest = await coldestOfSchedule(c, run.run_file);
    const dew = dewMargin(items, coldest);
    await recordChecks(ws, run.id, [dew.item]);
    const laser = `laser power supply on (confirmed ${face.interactive ? 'at the terminal' : 'with --yes'} by ${c.opts.operator})`;
    const data = { laserPowerSupplyOn: true, confirmedBy: c.opts.operator, dew: dew.item.reading, frostLikely: dew.frostLikely };
    const ok = `${items.filter((i) => i.verdict === 'pass').length} peripherals OK; ${laser}`;
    return dew.frostLikely ? { state: 'warn', message: `${ok}. ${dew.item.message}`, data } : pass(`${ok}; ${dew.item.message}`, data);
  },

  'laser-freq': async (c) => {
    const { laserFreqChecked } = await import('../fat/checks/recorded.js');
    const r = await laserFreqChecked(c.ws, await walkRun(c), c.opts.freq ?? c.ws.station.laser.frequency_hz, c.face.line);
    return r.pass ? pass(r.item.message, { attempts: r.attempts.length }) : fail(r.item.message);
  },

  visibility: async (c) => {
    const { visibilityChecked } = await import('../fat/checks/recorded.js');
    const run = await walkRun(c);
    const r = await visibilityChecked(c.ws, run, {
      jobs: c.opts.jobs,
      events: c.opts.visibilityEvents,
      comment: `check visibility for run ${run.run_number} (preflight)`,
      force: c.opts.allowDirty,
      forceFlag: '--allow-dirty',
      progress: c.face.line,
    });
    if (r.failed.length)
      return fail(r.failed.map((f) => `${f.subject}: ${f.message}`).join('\n'), { failed: r.failed.map((f) => f.subject) });
    return pass(`All ${r.pmts.length} PMTs see the laser.`, { pmts: r.pmts.length });
  },

  'gain-scan': async (c) => {
    const run = await walkRun(c);
    const { kind } = await import('../tasks/measure-gain.js');
    const params = { n_jobs: c.opts.jobs, n_events: c.opts.gainEvents, comment: 'room temperature (fat preflight)' };
    const { result } = await runMeasurement(c.ws, String(run.run_number), kind, params, undefined, c.face.line);
    const r = result as { folder?: string; pmts?: unknown[]; failures?: Array<{ port: number; serial: string; error: string }> };
    if (r.failures?.length) return fail(r.failures.map((f) => `${f.serial} (port ${f.port}): ${f.error}`).join('; '));
    return pass(`${r.pmts?.length ?? 0} PMTs scanned at room temperature, data in ${r.folder}`, { folder: r.folder });
  },

  'gain-analysis': async (c) => {
    const run = await walkRun(c);
    const { kind } = await import('../tasks/analysis-wrapper.js');
    const { result } = await runMeasurement(c.ws, String(run.run_number), kind, {}, undefined, c.face.line);
    const pmts = (result as { pmts?: Array<{ hv1e7GainVolts: number }> }).pmts ?? [];
    const hv = pmts.map((p) => p.hv1e7GainVolts);
    return pass(
      `HV at gain 1e7 found for ${pmts.length} PMTs (${Math.min(...hv).toFixed(0)}-${Math.max(...hv).toFixed(0)} V), written to the D-Egg files`,
      { pmts: pmts.length },
    );
  },

  schedule: async (c) => {
    const run = await walkRun(c);
    const { checkSchedule, formatDurationS, formatProblem, estimateSchedule } = await import('../fat/schedule/parse.js');
    const { catalogue } = await import('../tasks/catalogue.js');
    const { activeModules } = await import('../station/runs.js');
    const modules = (await activeModules(c.ws, run.id)).length;
    if (c.opts.schedule) {
      const r = checkSchedule(c.opts.schedule, catalogue());
      if (r.problems.length) return fail(`${c.opts.schedule}: ${r.problems.map(formatProblem).join('; ')}`);
      if (path.resolve(r.schedule.constants.runFile) !== path.resolve(run.run_file))
        return fail(`${c.opts.schedule} names the run file ${r.schedule.constants.runFile}, not this run's ${run.run_file}`);
      const est = estimateSchedule(r.schedule, catalogue(), modules);
      const file = path.resolve(c.opts.schedule);
      return pass(`${file}: ${r.schedule.tasks.length} tasks, about ${formatDurationS(est.totalS)}`, {
        file,
        tasks: r.schedule.tasks.length,
      });
    }
    const { writeSchedule } = await import('../fat/schedule/create.js');
    const out = path.join(c.ws.home.dir, 'schedules', `run_${String(run.run_number).padStart(5, '0')}.ini`);
    const w = writeSchedule(out, c.opts.template, run.run_file, { overwrite: true, modules });
    return pass(
      `the ${c.opts.template} schedule for run ${run.run_number}: ${w.file}, ${w.schedule.tasks.length} tasks, about ${formatDurationS(w.totalS)}`,
      {
        file: w.file,
        template: c.opts.template,
        tasks: w.schedule.tasks.length,
      },
    );
  },

  logbook: async (c) => {
    const run = await walkRun(c);
    const { formMarkdown, newRunForm, submitNewRunForm } = await import('../views/new-run-form.js');
    const laserPowerSupplyOn = earlier(c, 'peripherals').laserPowerSupplyOn === true;
    const file = scheduleFile(c);
    const scheduleLine = file ? `Schedule: \`${file}\` (fat preflight starts the master on it).` : '';
    const form = await newRunForm(c.ws, String(run.run_number));
    const { post, remarks } = await c.face.confirmEntry(formMarkdown(form, { laserPowerSupplyOn, remarks: scheduleLine }));
    if (!post) return fail('the Start New Run entry was not posted to the FAT logbook');
    const entry = await submitNewRunForm(c.ws, {
      run: run.run_number,
      author: c.opts.operator,
      laserPowerSupplyOn,
      remarks: [scheduleLine, remarks.trim()].filter(Boolean).join('\n\n'),
      tags: ['preflight'],
    });
    return pass(`Start New Run posted to the FAT logbook as entry #${entry.id} by ${entry.author}`, { entry: entry.id });
  },

  master: async (c) => {
    const run = await walkRun(c);
    const file = scheduleFile(c);
    if (!file) throw new Error('no schedule: the schedule step has not passed');
    const { startMasterService } = await import('../engine/master-service.js');
    const s = await startMasterService(c.ws, run.id, run.run_number, file, { allowDirty: c.opts.allowDirty, operator: c.opts.operator });
    const how = s.how === 'systemd' ? `under systemd (${s.unit})` : `detached (pid ${s.pid})`;
    return pass(`the master is running ${how} on ${file}; its log: ${s.log}`, { ...s, file });
  },
};

/** The coldest set point of the schedule the walk will run: the given file, or the template for this run. */
async function coldestOfSchedule(c: StepContext, runFile: string): Promise<number | undefined> {
  const { checkSchedule } = await import('../fat/schedule/parse.js');
  const { catalogue } = await import('../tasks/catalogue.js');
  const { coldestSetPointC } = await import('../fat/schedule/create.js');
  if (c.opts.schedule) return coldestSetPointC(checkSchedule(c.opts.schedule, catalogue()).schedule);
  const { scheduleTemplate } = await import('../fat/schedule/templates.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-preflight-'));
  try {
    const file = path.join(dir, 'schedule.ini');
    fs.writeFileSync(file, scheduleTemplate(c.opts.template, runFile));
    return coldestSetPointC(checkSchedule(file, catalogue()).schedule);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

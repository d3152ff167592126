import type { Workspace } from '../station/workspace.js';
import type { LogbookEntry, NewRunForm } from '../records/api-types.js';
import { LogbookError, postEntry } from '../logbook/entries.js';
import { findRun, latestRun } from '../station/runs.js';
import { walkOfRun } from '../fat/preflight/journal.js';
import { PREFLIGHT_STEPS } from '../fat/preflight/steps.js';

/**
 * The seed's "Start New Run" logbook form, filled in from the store: run number, date and comment
 * (`fat run new`), the D-Eggs with their ports, the peripheral check results (`fat check ...`),
 * the master's schedule file, and the shifters who acted on the run. The shifter confirms that the
 * laser power supply is on (the one check no script can make) and adds remarks.
 */
export async function newRunForm(ws: Workspace, runArg?: string): Promise<NewRunForm> {
  let run;
  try {
    run = runArg === undefined || runArg === '' ? await latestRun(ws) : await findRun(ws, runArg);
  } catch (e) {
    throw new LogbookError(`"run": ${(e as Error).message}`, 404);
  }
  if (!run) throw new LogbookError('there is no run yet: create one with `fat run new --comment TEXT`', 404);
  const modules = await ws.db.selectFrom('modules').selectAll().where('run_id', '=', run.id).orderBy('port').execute();
  const checkRows = await ws.db.selectFrom('check_results').selectAll().where('run_id', '=', run.id).orderBy('id', 'desc').execute();
  // the latest result of each check and subject: a check repeated after a fix replaces the failure
  const seen = new Set<string>();
  const checks: NewRunForm['checks'] = [];
  for (const c of checkRows) {
    const key = `${c.check_name}\0${c.subject}`;
    if (seen.has(key)) continue;
    seen.add(key);
    checks.push({ check: c.check_name, subject: c.subject, verdict: c.verdict, message: c.message, at: c.created_at });
  }
  checks.reverse();
  const sched = await ws.db
    .selectFrom('schedules')
    .selectAll()
    .where('run_id', '=', run.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const answered = await ws.db
    .selectFrom('prompts')
    .select('answered_by')
    .distinct()
    .where('run_id', '=', run.id)
    .where('answered_by', 'is not', null)
    .where('via', '!=', 'dry-run')
    .execute();
  const requested = await ws.db.selectFrom('operator_requests').select('requested_by').distinct().where('run_id', '=', run.id).execute();
  const authors = await ws.db
    .selectFrom('logbook_entries')
    .select('author')
    .distinct()
    .where('run_id', '=', run.id)
    .where('source', '=', 'user')
    .execute();
  const shifters = [
    ...new Set([
      run.operator,
      ...answered.map((a) => a.answered_by ?? ''),
      ...requested.map((r) => r.requested_by),
      ...authors.map((a) => a.author),
    ]),
  ].filter(Boolean);
  const walk = await walkOfRun(ws, run.id);
  return {
    station: ws.station.name,
    run: run.run_number,
    date: run.date,
    comment: run.comment,
    runFile: run.run_file,
    modules: modules.map((m) => ({ port: m.port, serial: m.degg_serial, wirePair: m.wire_pair, state: m.state })),
    checks,
    schedule: sched
      ? {
          file: sched.config_path,
          archived: sched.archived_path,
          sha256: sched.config_hash,
          masterKey: sched.master_key,
          state: sched.state,
        }
      : null,
    shifters,
    preflight: walk
      ? {
          state: walk.state,
          operator: walk.operator,
          startedAt: walk.startedAt,
          endedAt: walk.endedAt,
          steps: PREFLIGHT_STEPS.map((s) => {
            const r = walk.results.find((x) => x.step === s.key);
            return { step: s.key, title: s.title, state: r?.state ?? null, message: r?.message ?? null, at: r?.at ?? null };
          }),
        }
      : null,
  };
}

function cell(s: string | number): string {
  return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The form as a Markdown logbook entry. */
export function formMarkdown(f: NewRunForm, confirm: { laserPowerSupplyOn: boolean; remarks: string }): string {
  const failed = f.checks.filter((c) => c.verdict === 'fail');
  return [
    `## Start New Run: run ${f.run}`,
    '',
    `- **Station:** ${f.station}`,
    `- **Date:** ${f.date}`,
    `- **Comment:** ${f.comment}`,
    `- **Run file:** \`${f.runFile}\``,
    `- **Schedule file:** ${f.schedule ? `\`${f.schedule.file}\` (sha256 ${f.schedule.sha256.slice(0, 12)}, ${f.schedule.masterKey})` : 'not started yet'}`,
    `- **Shifters:** ${f.shifters.join(', ') || '-'}`,
    `- **Laser power supply on:** ${confirm.laserPowerSupplyOn ? 'yes (confirmed by the shifter)' : 'NOT confirmed'}`,
    '',
    `### D-Eggs (${f.modules.length})`,
    '',
    '| Port | D-Egg | Wire pair | State |',
    '| --- | --- | --- | --- |',
    ...f.modules.map((m) => `| ${m.port} | ${cell(m.serial)} | ${m.wirePair} | ${m.state} |`),
    '',
    `### Peripheral checks (${f.checks.length ? `${f.checks.length - failed.length} of ${f.checks.length} passed` : 'none recorded: run `fat check peripherals`'})`,
    '',
    ...(f.checks.length
      ? [
          '| Check | Subject | Verdict | Message |',
          '| --- | --- | --- | --- |',
          ...f.checks.map((c) => `| ${cell(c.check)} | ${cell(c.subject)} | ${c.verdict} | ${cell(c.message)} |`),
        ]
      : []),
    ...(confirm.remarks.trim() ? ['', '### Remarks', '', confirm.remarks.trim()] : []),
  ].join('\n');
}

/** Posts the confirmed form as an entry of kind 'new-run-form' on the run. */
export async function submitNewRunForm(
  ws: Workspace,
  input: { run: number; author: string; laserPowerSupplyOn: boolean; remarks: string; tags?: string[] },
): Promise<LogbookEntry> {
  const f = await newRunForm(ws, String(input.run));
  return postEntry(ws, {
    text: formMarkdown(f, input),
    author: input.author,
    tags: ['new-run', ...(input.tags ?? [])],
    run: f.run,
    kind: 'new-run-form',
  });
}

import type { Workspace } from '../station/workspace.js';
import { gitState } from '../station/git-state.js';
import { nowIso } from '../store/open.js';
import { REPO_ROOT } from '../util/repo-root.js';

/**
 * One item of the pre-run checklist: what was read, what was allowed, and the verdict. Every
 * item is stored with the run (or with the station when no run exists yet).
 */
export interface CheckItem {
  check: string;
  subject: string;
  reading: unknown;
  tolerance: string;
  verdict: 'pass' | 'fail' | 'warn' | 'info';
  message: string;
  /** the instrument this item talked to, recorded with the identity it reported */
  instrument?: { kind: string; address: string; identity: string };
}

export function provenance(ws: Workspace): Record<string, unknown> {
  return {
    icefat: gitState(REPO_ROOT),
    station: gitState(ws.home.dir, ['station.toml', 'modules.toml']),
    stationName: ws.station.name,
    operator: process.env.FAT_OPERATOR ?? process.env.USER ?? 'unknown',
  };
}

export async function recordChecks(ws: Workspace, runId: number | null, items: CheckItem[], prov = provenance(ws)): Promise<void> {
  if (!items.length) return;
  const created = nowIso();
  const ofRun = { station: ws.station.name, run_id: runId };
  const checkRow = (i: CheckItem) => ({
    ...ofRun,
    check_name: i.check,
    subject: i.subject,
    reading: JSON.stringify(i.reading),
    tolerance: i.tolerance,
    verdict: i.verdict,
    message: i.message,
    provenance: JSON.stringify(prov),
    created_at: created,
  });
  await ws.db.insertInto('check_results').values(items.map(checkRow)).execute();
  // the instruments the checks talked to, with the identity each reported
  const seen = items.flatMap(({ subject, instrument: i }) =>
    i ? [{ ...ofRun, kind: i.kind, name: subject, address: i.address, identity: i.identity, seen_at: created }] : [],
  );
  if (seen.length) await ws.db.insertInto('instruments').values(seen).execute();
}

export async function recordEvent(
  ws: Workspace,
  runId: number | null,
  level: 'debug' | 'info' | 'warn' | 'error' | 'critical',
  kind: string,
  message: string,
  data: unknown = {},
): Promise<void> {
  await ws.db
    .insertInto('events')
    .values({ station: ws.station.name, run_id: runId, time: nowIso(), level, kind, message, data: JSON.stringify(data) })
    .execute();
}

const mark = { pass: 'OK  ', fail: 'FAIL', warn: 'WARN', info: 'INFO' } as const;

export function formatItem(i: CheckItem): string {
  return `  [${mark[i.verdict]}] ${i.subject}: ${i.message}`;
}

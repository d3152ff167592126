import { sql } from 'kysely';
import { nowIso, parseJson } from '../store/open.js';
import type { LogbookEntry } from '../records/api-types.js';
import { ownRunId } from '../station/runs.js';
import type { Workspace } from '../station/workspace.js';
import { contentTypeOf, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, sanitizeFilename, storeAttachment } from './files.js';

/**
 * The FAT logbook: entries with author, time, Markdown text, tags and attached files, written by
 * people (CLI, browser, API) or made from the run's events (logbook-auto.ts). Entries are never
 * edited; a correction is a new entry.
 */
export type EntryKind = 'note' | 'run-created' | 'run-start' | 'operator-action' | 'pause' | 'exclusion' | 'run-end' | 'new-run-form';

/** Bad input for the logbook; `status` is the HTTP status the API answers with. */
export class LogbookError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 413 = 400,
  ) {
    super(message);
    this.name = 'LogbookError';
  }
}

export const MAX_TEXT_CHARS = 100_000;
const TAG = /^[\p{L}\p{N}._:+-]{1,40}$/u;
const MAX_TAGS = 20;

export interface NewAttachment {
  filename: string;
  data: Uint8Array;
}

export interface NewEntry {
  text: string;
  author: string;
  tags?: readonly string[];
  /** a run number of this station */
  run?: number | null;
  kind?: EntryKind;
  files?: readonly NewAttachment[];
}

export function checkTags(tags: readonly unknown[]): string[] {
  if (tags.length > MAX_TAGS) throw new LogbookError(`"tags": at most ${MAX_TAGS} tags, got ${tags.length}`);
  const out: string[] = [];
  for (const [i, t] of tags.entries()) {
    const tag = typeof t === 'string' ? t.trim() : t;
    if (typeof tag !== 'string' || !TAG.test(tag))
      throw new LogbookError(`"tags"[${i}]: ${JSON.stringify(t)} is not a tag (1-40 letters, digits, ".", "_", ":", "+" or "-")`);
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

/** The id of a run of this station by number; a missing run is a LogbookError. */
export async function runIdOf(ws: Workspace, run: number): Promise<number> {
  if (!Number.isInteger(run) || run < 0) throw new LogbookError(`"run": ${run} is not a run number`);
  const id = await ownRunId(ws, 'run_number', run);
  if (id === undefined) throw new LogbookError(`"run": run ${run} does not exist on station ${ws.station.name}`, 404);
  return id;
}

export async function postEntry(ws: Workspace, e: NewEntry): Promise<LogbookEntry> {
  const text = e.text.replace(/\r\n/g, '\n').trim();
  if (!text) throw new LogbookError('"text": the entry is empty: write what happened');
  if (text.length > MAX_TEXT_CHARS) throw new LogbookError(`"text": ${text.length} characters, at most ${MAX_TEXT_CHARS}`);
  if (!e.author.trim()) throw new LogbookError('"author": an author is needed');
  const tags = checkTags(e.tags ?? []);
  const files = e.files ?? [];
  if (files.length > MAX_ATTACHMENTS) throw new LogbookError(`at most ${MAX_ATTACHMENTS} attachments per entry, got ${files.length}`);
  for (const f of files) {
    if (f.data.byteLength > MAX_ATTACHMENT_BYTES)
      throw new LogbookError(
        `attachment "${sanitizeFilename(f.filename)}" has ${(f.data.byteLength / 1048576).toFixed(1)} MiB, at most ${MAX_ATTACHMENT_BYTES / 1048576} MiB are allowed`,
        413,
      );
  }
  const runId = e.run === undefined || e.run === null ? null : await runIdOf(ws, e.run);
  // files first: an entry never points at a file that is not there
  const stored = files.map((f) => ({ name: sanitizeFilename(f.filename), ...storeAttachment(ws.home, f.data) }));
  const id = await ws.db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('logbook_entries')
      .values({
        station: ws.station.name,
        run_id: runId,
        author: e.author.trim(),
        created_at: nowIso(),
        text,
        tags: JSON.stringify(tags),
        source: 'user',
        kind: e.kind ?? 'note',
        event_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const f of stored) {
      await tx
        .insertInto('logbook_attachments')
        .values({ entry_id: row.id, filename: f.name, content_type: contentTypeOf(f.name), size: f.size, sha256: f.sha256, path: f.path })
        .execute();
    }
    return row.id;
  });
  return (await getEntry(ws, id))!;
}

export interface EntryQuery {
  /** words that must all appear in the text, the author or an attachment's name (any case) */
  text?: string;
  tag?: string;
  author?: string;
  run?: number;
  kind?: string;
  limit?: number;
}

function likeWord(w: string): string {
  return `%${w.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Entries of this station, the latest written first. */
export async function searchEntries(ws: Workspace, q: EntryQuery = {}): Promise<LogbookEntry[]> {
  let query = ws.db.selectFrom('logbook_entries').selectAll('logbook_entries').where('logbook_entries.station', '=', ws.station.name);
  for (const w of (q.text ?? '').split(/\s+/).filter(Boolean)) {
    const like = likeWord(w);
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(logbook_entries.text)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(logbook_entries.author)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(logbook_entries.tags)`, 'like', sql`${like} escape '\\'`),
        eb.exists(
          eb
            .selectFrom('logbook_attachments')
            .select('logbook_attachments.id')
            .whereRef('logbook_attachments.entry_id', '=', 'logbook_entries.id')
            .where(sql`lower(logbook_attachments.filename)`, 'like', sql`${like} escape '\\'`),
        ),
      ]),
    );
  }
  if (q.tag !== undefined) {
    const [tag] = checkTags([q.tag]);
    query = query.where('logbook_entries.tags', 'like', `%${JSON.stringify(tag)}%`);
  }
  if (q.author !== undefined) query = query.where('logbook_entries.author', '=', q.author);
  if (q.kind !== undefined) query = query.where('logbook_entries.kind', '=', q.kind);
  if (q.run !== undefined) query = query.where('logbook_entries.run_id', '=', await runIdOf(ws, q.run));
  const limit = Math.min(Math.max(1, q.limit ?? 200), 1000);
  // newest first in the order they were written: automatic entries carry the lab time of their
  // event, which a simulated lab runs faster than the wall clock of people's entries
  const rows = await query.orderBy('logbook_entries.id', 'desc').limit(limit).execute();
  return withDetails(ws, rows);
}

export async function getEntry(ws: Workspace, id: number): Promise<LogbookEntry | undefined> {
  const rows = await ws.db.selectFrom('logbook_entries').selectAll().where('id', '=', id).execute();
  return (await withDetails(ws, rows))[0];
}

type EntryRow = {
  id: number;
  station: string;
  run_id: number | null;
  author: string;
  created_at: string;
  text: string;
  tags: string;
  source: 'user' | 'auto';
  kind: string;
};

async function withDetails(ws: Workspace, rows: EntryRow[]): Promise<LogbookEntry[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const atts = await ws.db.selectFrom('logbook_attachments').selectAll().where('entry_id', 'in', ids).orderBy('id').execute();
  const runIds = [...new Set(rows.map((r) => r.run_id).filter((r): r is number => r !== null))];
  const runs = runIds.length ? await ws.db.selectFrom('runs').select(['id', 'run_number']).where('id', 'in', runIds).execute() : [];
  const runNumber = new Map(runs.map((r) => [r.id, r.run_number]));
  return rows.map((r) => ({
    id: r.id,
    station: r.station,
    run: r.run_id === null ? null : (runNumber.get(r.run_id) ?? null),
    author: r.author,
    createdAt: r.created_at,
    text: r.text,
    tags: parseJson<string[]>(r.tags, `logbook entry ${r.id}'s tags`),
    source: r.source,
    kind: r.kind,
    attachments: atts
      .filter((a) => a.entry_id === r.id)
      .map((a) => ({ id: a.id, filename: a.filename, contentType: a.content_type, size: Number(a.size), sha256: a.sha256 })),
  }));
}

/** An attachment's row (with its stored path), or undefined. */
export async function attachmentRow(ws: Workspace, id: number) {
  return ws.db.selectFrom('logbook_attachments').selectAll().where('id', '=', id).executeTakeFirst();
}

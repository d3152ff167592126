import fs from 'node:fs';
import type { Kysely, Transaction } from 'kysely';
import { engineOf } from '../store/dialect.js';
import type { Db } from '../store/open.js';
import type { Database } from '../store/schema.js';
import { readJsonFile } from '../util/json-file.js';
import { openAtomic } from '../util/atomic-write.js';
import { executeWrites, type Write } from '../store/write-set.js';

/**
 * The original system's run and D-Egg JSON documents, kept in the store. The store is the truth:
 * every change is a transaction on the document's row, and only then is the file in json/ written
 * (atomically) as its export. `version` counts changes and `exported` the version last written, so
 * a crash between the two is repaired by `exportPending` at the next start. A file that predates
 * the store's documents (an older home) is taken in as it is the first time it is read.
 *
 * A document is named by its file's path, as the run and module rows record it.
 */
export interface DocStore {
  db: Db;
  station: { name: string };
}

export type JsonDoc = Record<string, unknown>;

/**
 * A document's text as the original's files have it (json.dump with indent 4), which is also how
 * the store keeps it: an export writes the body as it is, without parsing it again.
 */
const docText = (doc: JsonDoc): string => JSON.stringify(doc, null, 4);

/** A body in that layout (an older icefat stored bodies compact: `{"`); `{}` is the same in both. */
const inFileLayout = (body: string): boolean => body[1] === '\n' || body === '{}';

/** The document, from the store (taking in the file when the store does not have it yet). */
export async function readDoc(ws: DocStore, file: string): Promise<JsonDoc> {
  return (await readDocVersion(ws, file)).doc;
}

/** A document (a fresh copy the caller may change) and the version it is. */
export interface VersionedDoc {
  doc: JsonDoc;
  version: number;
}

/** As `readDoc`, with the version read (a file taken in is version 1). */
export async function readDocVersion(ws: DocStore, file: string): Promise<VersionedDoc> {
  return (await storedDoc(ws, file)) ?? { doc: await adopt(ws, file), version: 1 };
}

/** The document as the store has it, or undefined. */
async function storedDoc(ws: DocStore, file: string): Promise<VersionedDoc | undefined> {
  const row = await ws.db
    .selectFrom('json_docs')
    .select(['body', 'version'])
    .where('station', '=', ws.station.name)
    .where('path', '=', file)
    .executeTakeFirst();
  return row ? { doc: JSON.parse(row.body) as JsonDoc, version: row.version } : undefined;
}

/**
 * A small part of a document that is read far more often than the document changes (a PMT's
 * serial and HV set point, read by every task that measures): `of` derives it from the document.
 * Each process keeps a view's value per document version, so a read costs one indexed lookup of
 * the version instead of a parse of the whole document (a D-Egg document grows to ~0.5 MB over a
 * FAT). `of` must return plain values, not parts of the document, so that nothing large is kept.
 */
export interface DocView<V> {
  of: (doc: JsonDoc) => V;
}

interface ViewedDoc {
  version: number;
  values: Map<DocView<unknown>, unknown>;
}

/** views per store (a test may open a new store at the same paths), per document; the oldest go beyond VIEWED_DOCS */
const viewed = new WeakMap<object, Map<string, ViewedDoc>>();
const VIEWED_DOCS = 256;

function viewsOf(ws: DocStore): Map<string, ViewedDoc> {
  let m = viewed.get(ws.db);
  if (!m) viewed.set(ws.db, (m = new Map<string, ViewedDoc>()));
  return m;
}

/** `view` of the document's current version (any process's change is seen: the version is read each time). */
export async function viewDoc<V>(ws: DocStore, file: string, view: DocView<V>): Promise<V> {
  const views = viewsOf(ws);
  const row = await ws.db
    .selectFrom('json_docs')
    .select('version')
    .where('station', '=', ws.station.name)
    .where('path', '=', file)
    .executeTakeFirst();
  const known = views.get(file);
  if (row && known?.version === row.version && known.values.has(view)) return known.values.get(view) as V;
  const { doc, version } = await readDocVersion(ws, file);
  const value = view.of(doc);
  const entry = known?.version === version ? known : { version, values: new Map() };
  entry.values.set(view, value);
  views.delete(file);
  views.set(file, entry);
  if (views.size > VIEWED_DOCS) views.delete(views.keys().next().value!);
  return value;
}

/** A version `changeDoc` made; `idle`: its document is held by no one and may be kept parsed (`changeDoc`'s `o.keep`). */
export interface MadeDoc extends VersionedDoc {
  idle?: boolean;
}

/**
 * Small documents kept parsed between changes, per store: the run file, whose master entry the
 * engine changes after every task (one key per task, ~50 kB by the end of the standard FAT), would
 * otherwise be parsed again for each. Such a document is held by no one: `changeDoc` takes it out
 * while it changes it (a transaction that fails leaves nothing behind) and `committedDoc` puts the
 * new version back. It is used only while the store still has that version.
 */
const idleDocs = new WeakMap<object, Map<string, VersionedDoc>>();
/**
 * The largest document text kept parsed: the run file, not a D-Egg document (~0.75 MB each by the
 * end of the standard FAT). Keeping the 16 D-Egg documents parsed too, and holding their committed
 * text for the coalesced export instead of reading it back, made bench/standard-fat.ts's master
 * 4-10% faster but raised its peak RSS from 360-390 MB to 500 MB.
 */
const IDLE_DOC_MAX_CHARS = 128 * 1024;

function idleOf(ws: DocStore): Map<string, VersionedDoc> {
  let m = idleDocs.get(ws.db);
  if (!m) idleDocs.set(ws.db, (m = new Map<string, VersionedDoc>()));
  return m;
}

/** After a commit that made `version` of a document: its views follow, without reading it again. */
export function committedDoc(ws: DocStore, file: string, made: MadeDoc): void {
  const { doc, version } = made;
  if (made.idle) idleOf(ws).set(file, { doc, version });
  const views = viewsOf(ws);
  const known = views.get(file);
  if (!known || known.version >= version) return;
  const values = new Map<DocView<unknown>, unknown>();
  for (const view of known.values.keys()) values.set(view, view.of(doc));
  views.set(file, { version, values });
}

/**
 * For readers (reports, the dashboard): the document from the store, else its file as it is
 * (without taking it in), or undefined when there is neither.
 */
export async function peekDoc(ws: DocStore, file: string): Promise<JsonDoc | undefined> {
  return (await storedDoc(ws, file))?.doc ?? (fs.existsSync(file) ? readJsonFile(file) : undefined);
}

/** A file written before documents lived in the store becomes the document, unchanged. */
async function adopt(ws: DocStore, file: string): Promise<JsonDoc> {
  const doc = readJsonFile(file);
  await ws.db
    .insertInto('json_docs')
    .values({ station: ws.station.name, path: file, run_id: null, body: docText(doc), version: 1, exported: 1 })
    .onConflict((oc) => oc.columns(['station', 'path']).doNothing())
    .execute();
  return doc;
}

/**
 * New documents (a new run's files), inserted with `db`: pass the transaction that creates the
 * run's rows, and export them (`exportDoc`) once it has committed.
 */
export async function insertDocs(
  db: Db | Transaction<Database>,
  station: string,
  docs: Array<{ path: string; doc: JsonDoc; runId: number }>,
) {
  for (const d of docs) {
    const body = docText(d.doc);
    await db
      .insertInto('json_docs')
      .values({ station, path: d.path, run_id: d.runId, body, version: 1, exported: 0 })
      .onConflict((oc) =>
        oc.columns(['station', 'path']).doUpdateSet((eb) => ({ body, version: eb('json_docs.version', '+', 1), run_id: d.runId })),
      )
      .execute();
  }
}

/**
 * Reads, changes and stores a document in one transaction, then exports it. `mutate` changes the
 * document in place; what it returns is returned.
 */
export async function updateDoc<T>(ws: DocStore, file: string, mutate: (doc: JsonDoc) => T): Promise<T> {
  await readDoc(ws, file); // takes in an older home's file first
  let out: T | undefined;
  const made = await ws.db.transaction().execute((tx) => changeDoc(tx, ws, file, (doc) => void (out = mutate(doc))));
  committedDoc(ws, file, made);
  afterDocCommit();
  await exportDoc(ws, file);
  return out as T;
}

/**
 * Changes a document inside the transaction `tx` (the row locked on PostgreSQL) and returns the
 * version it made (pass it to `committedDoc` once the transaction has committed). The document
 * must be in the store already (`readDoc` takes in an older home's file); export it after commit.
 *
 * `applied`: a copy read at some version with `mutate` already applied to it. When the stored
 * document is still that version, the copy is stored as it is; when someone changed the document
 * since, `mutate` is applied again to the stored one, so their change is kept.
 *
 * `o.keep`: nothing but `mutate` sees the document, and `mutate` keeps no part of it, so a small
 * one may stay parsed for the next change once committed (`committedDoc`). `o.version`: the
 * version `docVersions` read (and locked) in `tx`, so that it is not read again.
 */
export async function changeDoc(...args: Parameters<typeof docChange>): Promise<MadeDoc> {
  const { write, ...made } = await docChange(...args);
  await executeWrites(args[0], [write]);
  return made;
}

/** As `changeDoc`, with the statement that stores the change not yet run: run it in `tx` (`executeWrites`). */
export async function docChange(
  tx: Transaction<Database>,
  ws: DocStore,
  file: string,
  mutate: (doc: JsonDoc) => void,
  applied?: VersionedDoc,
  o: { keep?: boolean; version?: number } = {},
): Promise<MadeDoc & { write: Write }> {
  const at = tx.selectFrom('json_docs').where('station', '=', ws.station.name).where('path', '=', file);
  const version =
    o.version ?? (await (lockedRows(ws) ? at.select('version').forUpdate() : at.select('version')).executeTakeFirstOrThrow()).version;
  const idle = idleOf(ws);
  const kept = idle.get(file);
  idle.delete(file);
  let doc: JsonDoc;
  if (applied?.version === version) doc = applied.doc;
  else {
    doc = kept?.version === version ? kept.doc : (JSON.parse((await at.select('body').executeTakeFirstOrThrow()).body) as JsonDoc);
    mutate(doc);
  }
  const body = docText(doc);
  const write = tx
    .updateTable('json_docs')
    .set({ body, version: version + 1 })
    .where('station', '=', ws.station.name)
    .where('path', '=', file);
  return { doc, version: version + 1, idle: o.keep && !applied && body.length <= IDLE_DOC_MAX_CHARS, write };
}

/** Whether a document's row is locked when its version is read for a change (PostgreSQL; SQLite's writer holds the whole store). */
const lockedRows = (ws: DocStore) => engineOf(ws.db as unknown as Kysely<unknown>) === 'postgres';

/**
 * The versions of the stored documents among `files`, read in `tx` in one query (for `docChange`'s
 * `o.version`), their rows locked on PostgreSQL in the order of their paths: a task's end that
 * changes 16 D-Egg documents and the run file reads them in one round trip instead of 17.
 */
export async function docVersions(tx: Transaction<Database>, ws: DocStore, files: readonly string[]): Promise<Map<string, number>> {
  if (!files.length) return new Map();
  const q = tx
    .selectFrom('json_docs')
    .select(['path', 'version'])
    .where('station', '=', ws.station.name)
    .where('path', 'in', files)
    .orderBy('path');
  const rows = await (lockedRows(ws) ? q.forUpdate() : q).execute();
  return new Map(rows.map((r) => [r.path, r.version]));
}

/** Exports of one file run one after another, each writing the latest version. */
const chains = new Map<string, Promise<void>>();

/**
 * Writes the file from the store when the store has a newer version than the file. The body is
 * stored in the file's layout (`docText`), so it is written as it is; a body stored compact by an
 * older icefat is laid out first.
 */
export function exportDoc(ws: DocStore, file: string): Promise<void> {
  const next = (chains.get(file) ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => {
      const at = ws.db.selectFrom('json_docs').where('station', '=', ws.station.name).where('path', '=', file);
      const row = await at.select(['version', 'exported']).executeTakeFirst();
      if (!row || row.exported >= row.version) return;
      // a body read after the version may be newer still: `exported` then stays behind it, and the next export writes it
      const { body } = await at.select('body').executeTakeFirstOrThrow();
      // written, flushed and renamed on libuv's threads: the event loop goes on meanwhile
      const out = await openAtomic(file);
      await out.write((inFileLayout(body) ? body : docText(JSON.parse(body) as JsonDoc)) + '\n');
      await out.commit();
      await ws.db
        .updateTable('json_docs')
        .set({ exported: row.version })
        .where('station', '=', ws.station.name)
        .where('path', '=', file)
        .where('exported', '<', row.version)
        .execute();
    });
  chains.set(file, next);
  void next.finally(() => chains.get(file) === next && chains.delete(file)).catch(() => undefined);
  return next;
}

/** Writes every file whose document changed after its last export (a crash in between). Returns how many. */
export async function exportPending(ws: DocStore): Promise<number> {
  const stale = await ws.db
    .selectFrom('json_docs')
    .select('path')
    .where('station', '=', ws.station.name)
    .whereRef('exported', '<', 'version')
    .execute();
  for (const { path } of stale) await exportDoc(ws, path);
  return stale.length;
}

/**
 * For the crash test only: FAT_TEST_KILL_AFTER_DOC_COMMIT=N kills the process (SIGKILL) right
 * after the N-th commit that changes documents (one `updateDoc`, or one task's record) and before
 * their files are written.
 */
let commits = 0;
export function afterDocCommit(): void {
  const n = Number(process.env.FAT_TEST_KILL_AFTER_DOC_COMMIT);
  if (n > 0 && ++commits === n) process.kill(process.pid, 'SIGKILL');
}

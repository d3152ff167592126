import { sql, type Kysely } from 'kysely';
import { engineOf } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';

/**
 * `fat store copy`: a station's SQLite history into a shared (PostgreSQL) store.
 *
 * Every table of the source is copied, in an order where a referenced table comes before the tables
 * that point at it. The tables are read from the source itself (sqlite_master, table_info,
 * foreign_key_list), so tables added by later migrations are copied without changes here.
 *   - A table with an `id` gets new ids in the target; `copy_ledger` records which source id became
 *     which target id, so references are rewritten and a second copy adds nothing.
 *   - References are the declared foreign keys and, for the many that are not declared (events.run_id,
 *     prompts.task_id, ...), every `<x>_id` column whose `<x>s` table exists (also `last_<x>_id`).
 *   - A row whose unique key (a user's name, a token's hash) is already in the target is the same
 *     thing: it is mapped to that row, not inserted twice. A run number the target already has for
 *     this station, not copied from here, is an error: two different runs must not be merged.
 *   - A table without an id (stations) is inserted unless its primary key is there already.
 *   - Leases are not copied: a lease belongs to the master running now, on the store it runs on.
 * Each table is copied in one transaction together with its ledger rows; on PostgreSQL the rows
 * nothing can match or point back at (events, results, ...) go in batches.
 */
export interface TableCopy {
  table: string;
  copied: number;
  skipped: number;
  /** rows whose unique key was already in the target (mapped to that row) */
  matched: number;
  /** references to rows the source itself does not have, written as null */
  orphans: number;
  note?: string;
}

export interface CopyReport {
  source: string;
  tables: TableCopy[];
}

const NOT_COPIED: Record<string, string> = {
  leases: 'not copied: a lease belongs to the master running now',
  copy_ledger: '',
  kysely_migration: '',
  kysely_migration_lock: '',
};

/** Tables where finding the unique key already in the target means a clash, not the same row. */
const CLASH_ON_UNIQUE = new Set(['runs']);

type Row = Record<string, unknown>;

/** rows per insert when copying in batches (well under PostgreSQL's 65535 parameters) */
const BATCH = 500;

/** An id or other column value as text (ids are integers; the ledger keeps them as text). */
const idText = (v: unknown): string => String(v);

interface TableInfo {
  name: string;
  columns: string[];
  hasId: boolean;
  pk: string[];
  /** column -> referenced table (its id) */
  refs: Map<string, string>;
  /** unique keys besides the primary key */
  uniques: string[][];
  /** tables that must be copied first (references to ids and to names) */
  deps: Set<string>;
}

async function sqliteTables(src: Db): Promise<TableInfo[]> {
  const names = (
    await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(src)
  ).rows.map((r) => r.name);
  const out: TableInfo[] = [];
  for (const name of names) {
    if (name in NOT_COPIED && NOT_COPIED[name] === '') continue;
    const cols = (await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${name})`.execute(src)).rows;
    // a reference to another table's name (runs.station) needs no mapping: only ids change
    const fks = (
      await sql<{
        table: string;
        from: string;
        to: string | null;
      }>`select "table", "from", "to" from pragma_foreign_key_list(${name})`.execute(src)
    ).rows;
    const refs = new Map<string, string>(fks.filter((f) => f.to === 'id' || f.to === null).map((f) => [f.from, f.table]));
    const named = new Set(fks.map((f) => f.from));
    for (const c of cols) {
      if (named.has(c.name) || !c.name.endsWith('_id')) continue;
      const words = c.name.slice(0, -3).split('_');
      for (let i = 0; i < words.length; i++) {
        const stem = words.slice(i).join('_');
        const target = [`${stem}s`, `${stem}es`, stem.endsWith('y') ? `${stem.slice(0, -1)}ies` : ''].find((t) => t && names.includes(t));
        if (target) {
          refs.set(c.name, target);
          break;
        }
      }
    }
    const indexes = (
      await sql<{ name: string; unique: number; origin: string }>`select name, "unique", origin from pragma_index_list(${name})`.execute(
        src,
      )
    ).rows;
    const uniques: string[][] = [];
    for (const ix of indexes) {
      if (!ix.unique || ix.origin === 'pk') continue;
      uniques.push(
        (await sql<{ name: string }>`select name from pragma_index_info(${ix.name}) order by seqno`.execute(src)).rows.map((r) => r.name),
      );
    }
    out.push({
      name,
      columns: cols.map((c) => c.name),
      hasId: cols.some((c) => c.name === 'id' && c.pk === 1),
      pk: cols.filter((c) => c.pk > 0).map((c) => c.name),
      refs,
      uniques,
      deps: new Set([...fks.map((f) => f.table), ...refs.values()]),
    });
  }
  return inDependencyOrder(out);
}

function inDependencyOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo, path: string[]) => {
    if (done.has(t.name) || path.includes(t.name)) return;
    for (const ref of t.deps) {
      const r = byName.get(ref);
      if (r && r !== t) visit(r, [...path, t.name]);
    }
    done.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t, []);
  return out;
}

/** Names the source store: its station and when that station was first written there. */
export async function sourceName(src: Db, station: string): Promise<string> {
  const row = await src.selectFrom('stations').select('created_at').where('name', '=', station).executeTakeFirst();
  if (!row) throw new Error(`station ${station} is not in this store: nothing of it to copy`);
  return `${station}@${row.created_at}`;
}

export async function copyStore(src: Db, dst: Db, source: string): Promise<CopyReport> {
  const tables = await sqliteTables(src);
  const targetColumns = await columnsOf(dst);
  const report: CopyReport = { source, tables: [] };
  for (const t of tables) {
    if (NOT_COPIED[t.name]) {
      const n = Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(t.name)}`.execute(src)).rows[0]?.n ?? 0);
      report.tables.push({ table: t.name, copied: 0, skipped: n, matched: 0, orphans: 0, note: NOT_COPIED[t.name] });
      continue;
    }
    const have = targetColumns.get(t.name);
    if (!have) throw new Error(`table ${t.name} of the source is not in the target store: is the target's icefat older than this one?`);
    const missing = t.columns.filter((c) => !have.has(c));
    if (missing.length)
      throw new Error(`table ${t.name} of the target lacks column(s) ${missing.join(', ')}: is the target's icefat older than this one?`);
    report.tables.push(await copyTable(src, dst, source, t));
  }
  return report;
}

async function columnsOf(dst: Db): Promise<Map<string, Set<string>>> {
  const tables = await dst.introspection.getTables();
  const out = new Map<string, Set<string>>();
  for (const t of tables) if (!out.has(t.name)) out.set(t.name, new Set(t.columns.map((c) => c.name)));
  return out;
}

async function ledgerOf(db: Db, source: string, table: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('copy_ledger')
    .select(['source_id', 'target_id'])
    .where('source', '=', source)
    .where('table_name', '=', table)
    .execute();
  return new Map(rows.map((r) => [r.source_id, r.target_id]));
}

async function copyTable(src: Db, dst: Db, source: string, t: TableInfo): Promise<TableCopy> {
  const result: TableCopy = { table: t.name, copied: 0, skipped: 0, matched: 0, orphans: 0 };
  const order = t.hasId ? sql`order by id` : sql``;
  const rows = (await sql<Row>`select * from ${sql.table(t.name)} ${order}`.execute(src)).rows;
  if (!rows.length) return result;
  const refs = await referencesOf(src, dst, source, t);
  // rows nothing can match or point back at go in batches, with ids taken from the target's sequence first
  const bulk =
    engineOf(dst as unknown as Kysely<unknown>) === 'postgres' && t.hasId && !t.uniques.length && ![...t.refs.values()].includes(t.name);
  await dst.transaction().execute(async (tx) => {
    const c: Copying = {
      tx,
      t,
      source,
      now: nowIso(),
      ledger: t.hasId ? await ledgerOf(tx, source, t.name) : new Map<string, string>(),
      result,
    };
    const batch = batchOf(c);
    for (const row of rows) {
      if (t.hasId && c.ledger.has(idText(row.id))) {
        result.skipped++;
        continue;
      }
      const values = targetValues(c, refs, row);
      if (!t.hasId) await copyWithoutId(c, values);
      else if (bulk) await batch.add(idText(row.id), values);
      else await copyWithId(c, idText(row.id), values);
    }
    await batch.flush();
  });
  return result;
}

/** One table being copied, in its transaction. */
interface Copying {
  tx: Db;
  t: TableInfo;
  source: string;
  now: string;
  /** source id -> target id of this table */
  ledger: Map<string, string>;
  result: TableCopy;
}

/** For each table a table references: its ledger as the earlier tables left it, and the ids the source has. */
interface References {
  ledgers: Map<string, Map<string, string>>;
  sourceIds: Map<string, Set<string>>;
}

async function referencesOf(src: Db, dst: Db, source: string, t: TableInfo): Promise<References> {
  const ledgers = new Map<string, Map<string, string>>();
  for (const ref of new Set(t.refs.values())) ledgers.set(ref, await ledgerOf(dst, source, ref));
  const sourceIds = new Map<string, Set<string>>();
  for (const ref of ledgers.keys()) {
    const ids = (await sql<{ id: unknown }>`select id from ${sql.table(ref)}`.execute(src)).rows;
    sourceIds.set(ref, new Set(ids.map((r) => idText(r.id))));
  }
  return { ledgers, sourceIds };
}

/** A source row's values for the target: no id, references rewritten to target ids (orphans to null). */
function targetValues({ t, ledger, result }: Copying, refs: References, row: Row): Row {
  const values: Row = {};
  for (const c of t.columns) {
    if (t.hasId && c === 'id') continue;
    const v = row[c];
    const ref = t.refs.get(c);
    if (ref && v !== null && v !== undefined) {
      const mapped = refs.ledgers.get(ref)?.get(idText(v)) ?? (ref === t.name ? ledger.get(idText(v)) : undefined);
      if (mapped !== undefined) values[c] = Number(mapped);
      else if (!refs.sourceIds.get(ref)?.has(idText(v))) {
        values[c] = null;
        result.orphans++;
      } else throw new Error(`${t.name} row ${idText(row.id)}: ${c} = ${idText(v)} refers to ${ref} ${idText(v)}, which was not copied`);
    } else values[c] = v;
  }
  return values;
}

/** A row without an id: inserted unless its primary key is in the target already. */
async function copyWithoutId({ tx, t, result }: Copying, values: Row): Promise<void> {
  if (await findBy(tx, t.name, t.pk, values)) {
    result.skipped++;
    return;
  }
  await tx
    .insertInto(t.name as 'stations')
    .values(values as never)
    .execute();
  result.copied++;
}

/** A row with an id: mapped to the target's row with the same unique key, else inserted; the ledger records it. */
async function copyWithId({ tx, t, source, now, ledger, result }: Copying, sourceId: string, values: Row): Promise<void> {
  let targetId: unknown;
  for (const key of t.uniques) {
    const found = await findBy(tx, t.name, key, values);
    if (!found) continue;
    if (CLASH_ON_UNIQUE.has(t.name)) {
      throw new Error(
        `${t.name}: the target already has ${key.map((k) => `${k} = ${idText(values[k])}`).join(', ')}, not copied from this store; ` +
          `copying would merge two different ${t.name} (was this station already run on the target?)`,
      );
    }
    targetId = found.id;
    result.matched++;
    break;
  }
  if (targetId === undefined) {
    const ins = await sql<{ id: unknown }>`insert into ${sql.table(t.name)} (${sql.join(Object.keys(values).map((k) => sql.ref(k)))})
          values (${sql.join(Object.values(values))}) returning id`.execute(tx);
    targetId = ins.rows[0].id;
    result.copied++;
  }
  ledger.set(sourceId, String(targetId));
  await tx
    .insertInto('copy_ledger')
    .values({ source, table_name: t.name, source_id: sourceId, target_id: String(targetId), copied_at: now })
    .execute();
}

/** Rows with ids copied BATCH at a time (PostgreSQL): ids from the target's sequence, one insert, one ledger insert. */
function batchOf({ tx, t, source, now, ledger, result }: Copying) {
  const columns = t.columns.filter((c) => c !== 'id');
  let pending: { sourceId: string; values: Row }[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const ids = (
      await sql<{
        id: string | number;
      }>`select nextval(pg_get_serial_sequence(${t.name}, 'id')) as id from generate_series(1, ${pending.length})`.execute(tx)
    ).rows.map((r) => String(r.id));
    await sql`insert into ${sql.table(t.name)} (id, ${sql.join(columns.map((c) => sql.ref(c)))}) overriding system value values ${sql.join(
      pending.map((p, i) => sql`(${ids[i]}::bigint, ${sql.join(columns.map((c) => p.values[c]))})`),
    )}`.execute(tx);
    await tx
      .insertInto('copy_ledger')
      .values(pending.map((p, i) => ({ source, table_name: t.name, source_id: p.sourceId, target_id: ids[i], copied_at: now })))
      .execute();
    pending.forEach((p, i) => ledger.set(p.sourceId, ids[i]));
    result.copied += pending.length;
    pending = [];
  };
  return {
    add: async (sourceId: string, values: Row) => {
      pending.push({ sourceId, values });
      if (pending.length >= BATCH) await flush();
    },
    flush,
  };
}

async function findBy(db: Db, table: string, key: string[], values: Row): Promise<Row | undefined> {
  if (!key.length || key.some((k) => values[k] === null || values[k] === undefined)) return undefined;
  const where = sql.join(
    key.map((k) => sql`${sql.ref(k)} = ${values[k]}`),
    sql` and `,
  );
  return (await sql<Row>`select * from ${sql.table(table)} where ${where} limit 1`.execute(db)).rows[0];
}

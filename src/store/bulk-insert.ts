import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { engineOf } from './dialect.js';
import type { Database } from './schema.js';

/**
 * Many rows into one table, in the fewest statements each engine takes well (bench/store.ts):
 *  - SQLite: multi-row INSERTs of at most MAX_SQLITE_PARAMETERS values. Their text depends only on
 *    the table, the columns and the row count, so it is built once and SQLite keeps the statement
 *    prepared (sqlite-engine.ts): a batch costs binding its values, not compiling and parsing its
 *    SQL again.
 *  - PostgreSQL: one `INSERT ... SELECT * FROM unnest($1::type[], ...)`, one array per column,
 *    whatever the row count: one round trip, and a statement of a few parameters to parse instead
 *    of a multi-row one of thousands.
 * Rows go in in the order given (their ids ascending in that order), with exactly the values given.
 */
export interface BulkColumn {
  name: string;
  /** the column's type on PostgreSQL, for the array's cast */
  pgType: 'text' | 'integer' | 'double precision';
}

/** bound values per statement on SQLite, well below its limit of 32766 */
const MAX_SQLITE_PARAMETERS = 8500;

/** SQLite INSERT texts by table, columns and row count, the most recent few kept */
const sqliteText = new Map<string, string>();
const SQLITE_TEXTS_KEPT = 32;

function sqliteInsert(db: Kysely<Database>, table: string, columns: readonly BulkColumn[], rows: number): string {
  const key = `${table}(${columns.map((c) => c.name).join(',')})x${rows}`;
  let text = sqliteText.get(key);
  if (text) sqliteText.delete(key);
  else {
    const row = sql`(${sql.join(columns.map(() => null))})`;
    text =
      sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c.name)))}) values ${sql.join(Array(rows).fill(row))}`.compile(
        db,
      ).sql;
    if (sqliteText.size >= SQLITE_TEXTS_KEPT) sqliteText.delete(sqliteText.keys().next().value as string);
  }
  sqliteText.set(key, text);
  return text;
}

/** Inserts `rows` (each the values of `columns`, in that order) into `table` with `db` (a transaction, to commit them with what else belongs to them). */
export async function bulkInsert(
  db: Kysely<Database> | Transaction<Database>,
  table: keyof Database,
  columns: readonly BulkColumn[],
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<void> {
  for (const [i, r] of rows.entries())
    if (r.length !== columns.length)
      throw new Error(`bulkInsert into ${table}: row ${i} has ${r.length} values for ${columns.length} columns`);
  if (!rows.length) return;
  if (engineOf(db as unknown as Kysely<unknown>) === 'postgres') {
    const arrays = columns.map((c, j) => sql`${sql.val(rows.map((r) => r[j]))}::${sql.raw(c.pgType)}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c.name)))}) select * from unnest(${sql.join(arrays)})`.execute(
      db,
    );
    return;
  }
  const perStatement = Math.max(1, Math.floor(MAX_SQLITE_PARAMETERS / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const parameters: unknown[] = [];
    for (const r of chunk) for (const v of r) parameters.push(v);
    await db.executeQuery(CompiledQuery.raw(sqliteInsert(db, table, columns, chunk.length), parameters));
  }
}

import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { engineOf } from './dialect.js';
import { executeWrites, type Write } from './write-set.js';
import type { Database } from './schema.js';

/**
 * Many rows into one table, in the fewest statements each engine takes well (bench/store.ts):
 *  - SQLite: multi-row INSERTs of at most MAX_SQLITE_PARAMETERS values. Their text depends only on
 *    the table, the columns and the row count, so it is built once and SQLite keeps the statement
 *    prepared (sqlite-engine.ts): a batch costs binding its values, not compiling and parsing its
 *    SQL again.
 *  - PostgreSQL: one `INSERT ... SELECT ... FROM unnest($1::type[], ...)`, one array per column,
 *    whatever the row count: one round trip, and a statement of a few parameters to parse instead
 *    of a multi-row one of thousands. A column with the same value in every row (the station, the
 *    run, the provenance of a batch of results) is sent once, not once per row: a third less to
 *    send and parse for a monitoring task's samples (bench/store.ts).
 * Rows go in in the order given (their ids ascending in that order), with exactly the values given.
 * A column may instead take the value of one SQL expression of ours, the same for every row and
 * computed by the store inside the INSERT (`computed`): what the statement itself can read, e.g.
 * the newest id of another table, costs no round trip of its own.
 */
export interface BulkColumn {
  name: string;
  /** the column's type on PostgreSQL, for the array's cast */
  pgType: 'text' | 'integer' | 'double precision';
}

/** A column whose value the INSERT computes: `sql` is a constant expression of icefat's, never input. */
export interface ComputedColumn {
  name: string;
  sql: string;
}

/** bound values per statement on SQLite, well below its limit of 32766 */
const MAX_SQLITE_PARAMETERS = 8500;

/** SQLite INSERT texts by table, columns and row count, the most recent few kept */
const sqliteText = new Map<string, string>();
const SQLITE_TEXTS_KEPT = 32;

function sqliteInsert(
  db: Kysely<Database>,
  table: string,
  columns: readonly BulkColumn[],
  computed: readonly ComputedColumn[],
  rows: number,
): string {
  const key = `${table}(${columns.map((c) => c.name).join(',')};${computed.map((c) => `${c.name}=${c.sql}`).join(',')})x${rows}`;
  let text = sqliteText.get(key);
  if (text) sqliteText.delete(key);
  else {
    // an uncorrelated subquery is evaluated once per statement, however many rows name it
    const row = sql`(${sql.join([...columns.map(() => null), ...computed.map((c) => sql.raw(c.sql))])})`;
    const names = [...columns, ...computed].map((c) => sql.ref(c.name));
    text = sql`insert into ${sql.table(table)} (${sql.join(names)}) values ${sql.join(Array(rows).fill(row))}`.compile(db).sql;
    if (sqliteText.size >= SQLITE_TEXTS_KEPT) sqliteText.delete(sqliteText.keys().next().value as string);
  }
  sqliteText.set(key, text);
  return text;
}

/**
 * Inserts `rows` (each the values of `columns`, in that order) into `table` with `db` (a
 * transaction, to commit them with what else belongs to them); the `computed` columns get their
 * expression's value.
 */
export async function bulkInsert(
  db: Kysely<Database> | Transaction<Database>,
  table: keyof Database,
  columns: readonly BulkColumn[],
  rows: ReadonlyArray<readonly unknown[]>,
  computed: readonly ComputedColumn[] = [],
): Promise<void> {
  await executeWrites(db, bulkInsertWrites(db, table, columns, rows, computed));
}

/** As `bulkInsert`, the statements not yet run (`executeWrites`): none for no rows. */
export function bulkInsertWrites(
  db: Kysely<Database> | Transaction<Database>,
  table: keyof Database,
  columns: readonly BulkColumn[],
  rows: ReadonlyArray<readonly unknown[]>,
  computed: readonly ComputedColumn[] = [],
): Write[] {
  for (const [i, r] of rows.entries())
    if (r.length !== columns.length)
      throw new Error(`bulkInsert into ${table}: row ${i} has ${r.length} values for ${columns.length} columns`);
  if (!rows.length) return [];
  if (engineOf(db as unknown as Kysely<unknown>) === 'postgres')
    return [
      sql`insert into ${sql.table(table)} (${sql.join([...columns, ...computed].map((c) => sql.ref(c.name)))}) ${pgSelect(columns, rows, computed)}`,
    ];
  const perStatement = Math.max(1, Math.floor(MAX_SQLITE_PARAMETERS / columns.length));
  const out: Write[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const parameters: unknown[] = [];
    for (const r of chunk) for (const v of r) parameters.push(v);
    out.push(CompiledQuery.raw(sqliteInsert(db, table, columns, computed, chunk.length), parameters));
  }
  return out;
}

/** The rows as a SELECT: an array per column that varies (unnest), a value for one that does not, the computed columns. */
function pgSelect(columns: readonly BulkColumn[], rows: ReadonlyArray<readonly unknown[]>, computed: readonly ComputedColumn[]) {
  const same = columns.map((_, j) => rows.every((r) => Object.is(r[j], rows[0][j])));
  // unnest makes the rows: at least one column goes as an array, however alike the rows are
  if (same.every(Boolean)) same[0] = false;
  const arrays = columns.flatMap((c, j) => (same[j] ? [] : [sql`${sql.val(rows.map((r) => r[j]))}::${sql.raw(c.pgType)}[]`]));
  const names = columns.flatMap((_, j) => (same[j] ? [] : [sql.id(`c${j}`)]));
  const values = [
    ...columns.map((c, j) => (same[j] ? sql`${sql.val(rows[0][j])}::${sql.raw(c.pgType)}` : sql`u.${sql.id(`c${j}`)}`)),
    ...computed.map((c) => sql.raw(c.sql)),
  ];
  return sql`select ${sql.join(values)} from unnest(${sql.join(arrays)}) as u(${sql.join(names)})`;
}

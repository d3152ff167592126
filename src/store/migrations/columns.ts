import { sql, type ColumnBuilderCallback, type CreateTableBuilder, type Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

/**
 * The columns the migrations share, as steps for a table builder's `.$call()`: each adds its
 * columns in the order given, exactly as the same `.addColumn()` calls written out would. A
 * migration is the record of what its version created, so what a step adds must never change (a
 * store made new would then differ from one migrated years ago): a new need is a new step.
 */
export type Columns<N extends string> = <TB extends string, C extends string>(
  t: CreateTableBuilder<TB, C>,
) => CreateTableBuilder<TB, C | N>;

/** The column types the migrations use (PostgreSQL's `real` becomes `double precision` in 0007). */
export type ColumnType = 'text' | 'integer' | 'real';

function each<N extends string>(type: ColumnType, names: readonly N[], build?: ColumnBuilderCallback): Columns<N> {
  return <TB extends string, C extends string>(t: CreateTableBuilder<TB, C>) =>
    names.reduce<CreateTableBuilder<TB, C | N>>((acc, name) => acc.addColumn(name, type, build), t);
}

/** Columns of one type, each NOT NULL and without a default. */
export function required<N extends string>(type: ColumnType, ...names: N[]): Columns<N> {
  return each(type, names, (c) => c.notNull());
}

/** Columns of one type that may be NULL. */
export function optional<N extends string>(type: ColumnType, ...names: N[]): Columns<N> {
  return each(type, names);
}

/** A NOT NULL column with a default. */
export function defaulted<N extends string>(type: ColumnType, name: N, value: string | number): Columns<N> {
  return each(type, [name], (c) => c.notNull().defaultTo(value));
}

/** `name`, a foreign key to `target` ('table.column'): NOT NULL unless told otherwise. */
export function reference<N extends string>(
  name: N,
  target: string,
  { type = 'integer', nullable = false }: { type?: ColumnType; nullable?: boolean } = {},
): Columns<N> {
  return each(type, [name], (c) => (nullable ? c.references(target) : c.notNull().references(target)));
}

/** A new table whose first column is `id`, the auto-numbered primary key. */
export function keyedTable<TB extends string>(db: Kysely<unknown>, name: TB): CreateTableBuilder<TB, 'id'> {
  return db.schema.createTable(name).$call(each('integer', ['id'], idColumn(engineOf(db))));
}

/** `created_at`, the text "now" of when the row was written (0007 makes it the same text on PostgreSQL). */
export function createdNow(): Columns<'created_at'> {
  return each('text', ['created_at'], (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`));
}

/**
 * `station`, and `run_id`: the station's run the row belongs to, if any (by default NULL outside a
 * run and without a foreign key; a migration that wants one passes its own `reference(...)`).
 */
export function stationRun(runId: Columns<'run_id'> = optional('integer', 'run_id')): Columns<'station' | 'run_id'> {
  return (t) => t.$call(required('text', 'station')).$call(runId);
}

/** An item of a queue retried until done: when it came, its state, how often it was tried, and when it is tried next. */
export function retried(): Columns<'created_at' | 'state' | 'attempts' | 'next_attempt_at'> {
  return (t) =>
    t
      .$call(required('text', 'created_at'))
      .$call(defaulted('text', 'state', 'pending'))
      .$call(defaulted('integer', 'attempts', 0))
      .$call(required('text', 'next_attempt_at'));
}

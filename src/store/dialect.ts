import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/**
 * The few places where SQLite and PostgreSQL differ, kept in one spot so that every migration and
 * query is written once.
 */
export type Engine = 'sqlite' | 'postgres';

export function engineOf(db: Kysely<unknown>): Engine {
  const name = db.getExecutor().adapter.constructor.name;
  return name.toLowerCase().includes('postgres') ? 'postgres' : 'sqlite';
}

/** An auto-numbered primary key. */
export function idColumn(engine: Engine) {
  return (col: ColumnDefinitionBuilder) =>
    engine === 'postgres' ? col.generatedAlwaysAsIdentity().primaryKey() : col.autoIncrement().primaryKey();
}

/**
 * A text column's default of "now", as the same text on both engines ('2026-11-28 00:12:25').
 * Floats are `double precision` on both (PostgreSQL's `real` keeps only 7 digits).
 */
export function textNow(engine: Engine) {
  return engine === 'postgres' ? sql`to_char(current_timestamp at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')` : sql`CURRENT_TIMESTAMP`;
}

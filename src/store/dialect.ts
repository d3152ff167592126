import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

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

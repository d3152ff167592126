import { sql, type Kysely } from 'kysely';
import { engineOf } from './dialect.js';

/**
 * A value that differs whenever something was committed to the store since it was last read, by
 * this process or another: what a reader compares to know that an answer it made from the store
 * still holds. Read it before reading what it guards, so an answer is never older than its mark.
 * - SQLite: the connection's own row changes (`total_changes()`) and the commits of every other
 *   connection (`PRAGMA data_version`).
 * - PostgreSQL: the current snapshot (`xmin:xmax:in-progress ids`), which moves when a transaction
 *   that writes starts or ends, on any database of the server (more changes than ours, never fewer).
 */
export async function changeMark(db: Kysely<unknown>): Promise<string> {
  if (engineOf(db) === 'postgres') {
    const r = await sql<{ mark: string }>`select pg_current_snapshot()::text as mark`.execute(db);
    return r.rows[0].mark;
  }
  const r = await sql<{
    changes: number;
    version: number;
  }>`select total_changes() as changes, (select data_version from pragma_data_version) as version`.execute(db);
  return `${r.rows[0].version}:${r.rows[0].changes}`;
}

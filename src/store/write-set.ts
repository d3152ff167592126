import { sql, type Compilable, type CompiledQuery, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { engineOf } from './dialect.js';
import type { Database } from './schema.js';

/**
 * A statement that writes and whose answer nobody reads: a query builder, a raw statement, or a
 * compiled query (SQLite's prepared multi-row INSERTs, store/bulk-insert.ts; never on PostgreSQL).
 */
export type Write = Compilable<unknown> | RawBuilder<unknown> | CompiledQuery<unknown>;

const isCompiled = (w: Write): w is CompiledQuery<unknown> => 'sql' in w && 'parameters' in w && 'query' in w;
const isRaw = (w: Write): w is RawBuilder<unknown> => 'isRawBuilder' in w && w.isRawBuilder === true;

/**
 * Runs `writes`, in the order given, with `db`: the transaction they belong to, or the store for
 * statements that are to commit by themselves. PostgreSQL gets them as one statement, each but the
 * last a data-modifying WITH query: one round trip to the server instead of one per statement, and
 * atomic on its own. The parts of one statement all see the tables as they were before it: no part
 * may depend on what another part writes (inserts into one table, or a delete of rows other than
 * those another part inserts, are fine; see `TaskRecord.commit` for a read that must wait). SQLite,
 * in this process, runs them one after another.
 */
export async function executeWrites(db: Kysely<Database> | Transaction<Database>, writes: readonly Write[]): Promise<void> {
  if (engineOf(db as unknown as Kysely<unknown>) === 'postgres' && writes.length > 1) {
    const parts = writes.map((w) => {
      if (isCompiled(w)) throw new Error('executeWrites: a compiled query cannot be part of a PostgreSQL statement');
      return w;
    });
    const head = parts.slice(0, -1).map((w, i) => sql`${sql.id(`w${i}`)} as (${w})`);
    await sql`with ${sql.join(head)} ${parts[parts.length - 1]}`.execute(db);
    return;
  }
  for (const w of writes) await db.executeQuery(isCompiled(w) ? w : isRaw(w) ? w.compile(db) : w.compile());
}

import type pg from 'pg';

/**
 * PostgreSQL parses and plans every statement it gets unnamed (node-postgres's default): for a
 * monitoring task's end (its samples' INSERT with the task's end) that is a third of the server's
 * time. A statement a connection has run before is run again as a prepared statement of that
 * connection's instead, parsed once, its plan kept (bench/store.ts: ~12% more samples per second).
 *
 * Only statements with parameters are named (those without are mostly one-off DDL), at most
 * NAMED_PER_CONNECTION per connection, and never one that selects or returns `*`: a prepared
 * statement's columns are fixed when it is prepared, and after a migration that adds a column
 * (another station's newer icefat) PostgreSQL refuses to run it ("cached plan must not change
 * result type"). A statement that names its columns is planned again by the server after such a
 * change, as an unnamed one is.
 */
const NAMED_PER_CONNECTION = 256;
/** texts seen once, to name at their second run: more than get named, so that one-offs do not use up the names */
const SEEN_PER_CONNECTION = 4 * NAMED_PER_CONNECTION;

type Query = (...args: unknown[]) => unknown;

/** Makes `client` (a connection of the pool, at connect) run its repeated statements as prepared ones. */
export function prepareRepeated(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  const seen = new Set<string>();
  const named = new Map<string, string>();
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && Array.isArray(values) && values.length && !rest.length && !text.includes('*')) {
      let name = named.get(text);
      if (name === undefined && seen.has(text) && named.size < NAMED_PER_CONNECTION) {
        named.set(text, (name = `icefat_${named.size + 1}`));
        seen.delete(text);
      } else if (name === undefined && seen.size < SEEN_PER_CONNECTION) seen.add(text);
      if (name !== undefined) return query({ text, values, name });
    }
    return query(text, values, ...rest);
  }) as typeof client.query;
}

import { sql, type Kysely } from 'kysely';
import { engineOf } from '../dialect.js';

/**
 * PostgreSQL compresses a text of more than ~2 kB before storing it, by default with its own pglz;
 * lz4 compresses several times faster and about as well. The big texts icefat rewrites during a
 * FAT: a D-Egg document at every task that measures it (up to ~0.75 MB), a monitoring task's
 * packed samples, a task's result and the event that announces it. A server built without lz4
 * (PostgreSQL before 14, or built without it) keeps pglz. Values already stored stay as they are;
 * new ones are written with lz4. SQLite does not compress.
 */
export const LZ4_COLUMNS = [
  ['json_docs', 'body'],
  ['monitoring_samples', 'samples'],
  ['tasks', 'result'],
  ['tasks', 'trace'],
  ['events', 'data'],
  ['imported_entries', 'raw'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (engineOf(db) !== 'postgres') return;
  const { rows } = await sql<{ lz4: boolean }>`
    select coalesce(bool_or('lz4' = any(enumvals)), false) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
  if (!rows[0]?.lz4) return;
  for (const [table, column] of LZ4_COLUMNS)
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set compression lz4`.execute(db);
}

import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/open.js';
import type { Database } from '../../src/store/schema.js';
import { LZ4_COLUMNS } from '../../src/store/migrations/0019_lz4_text.js';
import { freshPgSchema, PG_URL, type PgSchema } from '../helpers/pg-schema.js';

/**
 * On PostgreSQL a connection runs a statement it has run before as a prepared statement of its
 * own (store/pg-prepared.ts), and the big texts are compressed with lz4 (migration 0019). A
 * statement's answer is the same either way, also after the table changed under it.
 */
let schema: PgSchema;
let db: Db;
beforeAll(async () => {
  schema = await freshPgSchema('pg-prepared');
  db = await openStore(schema.url);
  await sql`create table t (id integer primary key, name text)`.execute(db);
  await sql`insert into t select g, 'n' || g from generate_series(1, 5) g`.execute(db);
});
afterAll(async () => {
  await db?.destroy();
  await schema?.drop();
});

/** the prepared statements of the connection whose text names table t */
async function preparedOnT(tx: Kysely<Database>) {
  const { rows } = await sql<{ statement: string; plans: number }>`
    select statement, (generic_plans + custom_plans)::int as plans from pg_prepared_statements where statement like '%from "t"%'`.execute(
    tx,
  );
  return rows;
}

/** adds a column to t from a connection of its own (another station's migration) */
async function addColumn(name: string) {
  const c = new pg.Client({ connectionString: schema.url });
  await c.connect();
  try {
    await c.query(`alter table t add column ${name} text default 'x'`);
  } finally {
    await c.end();
  }
}

describe('prepared statements on PostgreSQL', () => {
  it('a statement run again on a connection is prepared there once and answers as before', async () => {
    await db.connection().execute(async (tx) => {
      const names: string[] = [];
      for (let id = 1; id <= 5; id++) {
        const row = await tx
          .selectFrom('t' as never)
          .select(['id', 'name'] as never)
          .where('id' as never, '=', id as never)
          .executeTakeFirst();
        names.push((row as unknown as { name: string }).name);
      }
      expect(names).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
      const prepared = await preparedOnT(tx);
      expect(prepared).toHaveLength(1);
      expect(prepared[0].statement).toBe('select "id", "name" from "t" where "id" = $1');
      // the first run went unnamed; the four after it ran the prepared one
      expect(prepared[0].plans).toBe(4);
    });
  });

  it('a statement naming its columns answers right after a column is added under it', async () => {
    await db.connection().execute(async (tx) => {
      const q = () => sql<{ name: string }>`select "name" from "t" where "id" = ${2}`.execute(tx);
      await q();
      await q();
      await addColumn('extra1');
      expect((await q()).rows).toEqual([{ name: 'n2' }]);
      expect((await preparedOnT(tx)).map((p) => p.statement)).toContain('select "name" from "t" where "id" = $1');
    });
  });

  it('a statement selecting * is never prepared: it sees a column added later, where a prepared one is refused', async () => {
    // the reason, with a plain connection: PostgreSQL refuses a prepared `select *` after the table gained a column
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    try {
      const star = { name: 'star', text: 'select * from t where id = $1', values: [1] };
      await c.query(star);
      await addColumn('extra2');
      await expect(c.query(star)).rejects.toThrow(/cached plan must not change result type/);
    } finally {
      await c.end();
    }
    // through the store the same statement keeps answering, with the new column
    const star = (tx: Kysely<Database>) => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(tx);
    await db.connection().execute(async (tx) => {
      await star(tx);
      await star(tx);
      await addColumn('extra3');
      const { rows } = await star(tx);
      expect(rows[0]).toMatchObject({ id: 1, name: 'n1', extra3: 'x' });
      expect((await preparedOnT(tx)).map((p) => p.statement)).not.toContain('select * from t where id = $1');
    });
  });

  it('a connection prepares at most 256 statements; the ones beyond still answer', async () => {
    await db.connection().execute(async (tx) => {
      for (let round = 0; round < 2; round++)
        for (let k = 0; k < 300; k++) {
          const { rows } = await sql<{ v: number }>`select ${sql.lit(k)}::int + "id" as v from "t" where "id" = ${1}`.execute(tx);
          expect(rows).toEqual([{ v: k + 1 }]);
        }
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(tx);
      expect(rows[0].n).toBeGreaterThan(200);
      expect(rows[0].n).toBeLessThanOrEqual(256);
    });
  });
});

describe('lz4 for the big texts on PostgreSQL', () => {
  it('a D-Egg document, packed samples, results and events are written with lz4 where the server has it', async () => {
    const server = new pg.Client({ connectionString: PG_URL });
    await server.connect();
    let hasLz4: boolean;
    try {
      const { rows } = await server.query<{ lz4: boolean }>(
        `select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`,
      );
      hasLz4 = rows[0]?.lz4 === true;
    } finally {
      await server.end();
    }
    const { rows } = await sql<{ table: string; column: string; compression: string }>`
      select c.relname as "table", a.attname as "column", a.attcompression as compression
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = current_schema()::regnamespace and a.attnum > 0 and a.attcompression <> ''`.execute(db);
    const set = rows.map((r) => `${r.table}.${r.column}=${r.compression}`).sort();
    expect(set).toEqual(hasLz4 ? LZ4_COLUMNS.map(([t, c]) => `${t}.${c}=l`).sort() : []);
    if (!hasLz4) return;
    // a document of ~0.7 MB is stored compressed with lz4
    const body = JSON.stringify(
      Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`GainMeasurement_${i}`, { hv: 1500 + i, gain: 1e7, t: '2026-12-07' }])),
      null,
      4,
    );
    await db.insertInto('json_docs').values({ station: 's', path: '/x/DEgg.json', run_id: null, body, version: 1 }).execute();
    const { rows: stored } = await sql<{ how: string; bytes: number; back: string }>`
      select pg_column_compression(body) as how, pg_column_size(body) as bytes, body as back from json_docs where path = '/x/DEgg.json'`.execute(
      db,
    );
    expect(stored[0].how).toBe('lz4');
    expect(stored[0].bytes).toBeLessThan(body.length / 2);
    expect(stored[0].back).toBe(body);
  });
});

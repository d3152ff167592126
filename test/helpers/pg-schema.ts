import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureHome, openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { simStationToml } from '../../src/lab/station-defaults.js';

/**
 * PostgreSQL for tests: CI has it on 127.0.0.1:5432 (trust auth). Each test file works in a schema
 * of its own, reached through the URL's search_path, and drops it at the end.
 */
export const PG_URL = process.env.FAT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The URL of another database on the same server (for tests that make a database of their own). */
export function pgDatabaseUrl(db: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface PgSchema {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * The schemas of one `npm test` carry its tag (test/global-setup.ts) and are dropped together when
 * it ends: kysely's migrator lists the tables of every schema, so a schema dropped while another
 * file migrates made that file fail ("schema ... does not exist").
 */
export const PG_RUN_TAG = process.env.FAT_TEST_PG_RUN;

export async function freshPgSchema(tag: string): Promise<PgSchema> {
  const name = `t_${PG_RUN_TAG ? `${PG_RUN_TAG}_` : ''}${tag.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`the tests need PostgreSQL at ${PG_URL} (set FAT_TEST_PG to another URL): ${(e as Error).message}`, { cause: e });
  }
  try {
    await admin.query(`create schema "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${name}`)}`,
    drop: async () => {
      if (PG_RUN_TAG) return; // with the run's others, at its end
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${name}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

export type Engine = 'sqlite' | 'postgres';

/** A store URL of the given engine: a fresh SQLite file, or a fresh PostgreSQL schema. */
export async function freshStore(engine: Engine, tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === 'postgres') return freshPgSchema(tag);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `icefat-${tag}-`));
  return { url: `sqlite:${path.join(dir, 'fat.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A home folder of station `name` whose station file names the store `url`. */
export async function workspaceOn(url: string, name: string, basePort = 15300): Promise<Workspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `icefat-ws-${name}-`));
  ensureHome(dir);
  fs.writeFileSync(
    path.join(dir, 'station.toml'),
    simStationToml({ seed: 1, basePort, timeScale: 1, name }).replace('url = "sqlite:fat.db"', `url = ${JSON.stringify(url)}`),
  );
  return openWorkspace(dir);
}

/** Drops the schemas of the run tagged `tag` (the global teardown). */
export async function dropRunSchemas(tag: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch {
    return; // no server: nothing was made
  }
  try {
    const { rows } = await c.query<{ name: string }>(`select nspname as name from pg_namespace where nspname like $1`, [`t\\_${tag}\\_%`]);
    for (const r of rows) await c.query(`drop schema if exists "${r.name}" cascade`);
  } finally {
    await c.end();
  }
}

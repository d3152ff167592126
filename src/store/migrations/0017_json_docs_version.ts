import type { Kysely } from 'kysely';

/**
 * `json_docs` by station, path, version and exported: a covering index for the reads that only
 * need a document's versions (records/json-docs.ts: `viewDoc` before each view, `changeDoc` before
 * it decides whether the working copy can be stored, `exportDoc` before it decides whether the
 * file is behind). On SQLite both lie after the body in the row, so without the index such a read
 * walks the body's overflow pages (a D-Egg document reaches ~0.5 MB over a FAT).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('json_docs_version').on('json_docs').columns(['station', 'path', 'version', 'exported']).execute();
}

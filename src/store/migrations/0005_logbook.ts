import type { Kysely } from 'kysely';
import { engineOf, idColumn } from '../dialect.js';

/**
 * The FAT logbook: entries written by people or derived from the run's events (one entry per event
 * at most, kept by the unique event_id), their attachments (the file itself lives under
 * <home>/logbook/attachments/), and how far the events have been read into the logbook.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = idColumn(engineOf(db));
  await db.schema
    .createTable('logbook_entries')
    .addColumn('id', 'integer', id)
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.references('runs.id'))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event_id', 'integer', (c) => c.unique())
    .execute();
  await db.schema.createIndex('logbook_entries_time').on('logbook_entries').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('logbook_entries_run').on('logbook_entries').columns(['run_id', 'id']).execute();
  await db.schema
    .createTable('logbook_attachments')
    .addColumn('id', 'integer', id)
    .addColumn('entry_id', 'integer', (c) => c.notNull().references('logbook_entries.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('logbook_attachments_entry').on('logbook_attachments').columns(['entry_id']).execute();
  await db.schema
    .createTable('logbook_sync')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_event_id', 'integer', (c) => c.notNull())
    .execute();
}

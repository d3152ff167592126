import type { Kysely } from 'kysely';
import { defaulted, keyedTable, reference, required, stationRun } from './columns.js';

/**
 * The FAT logbook: entries written by people or derived from the run's events (one entry per event
 * at most, kept by the unique event_id), their attachments (the file itself lives under
 * <home>/logbook/attachments/), and how far the events have been read into the logbook.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'logbook_entries')
    .$call(stationRun(reference('run_id', 'runs.id', { nullable: true })))
    .$call(required('text', 'author', 'created_at', 'text'))
    .$call(defaulted('text', 'tags', '[]'))
    .$call(required('text', 'source', 'kind'))
    .addColumn('event_id', 'integer', (c) => c.unique())
    .execute();
  await db.schema.createIndex('logbook_entries_time').on('logbook_entries').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('logbook_entries_run').on('logbook_entries').columns(['run_id', 'id']).execute();
  await keyedTable(db, 'logbook_attachments')
    .$call(reference('entry_id', 'logbook_entries.id'))
    .$call(required('text', 'filename', 'content_type'))
    .$call(required('integer', 'size'))
    .$call(required('text', 'sha256', 'path'))
    .execute();
  await db.schema.createIndex('logbook_attachments_entry').on('logbook_attachments').columns(['entry_id']).execute();
  await db.schema
    .createTable('logbook_sync')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .$call(required('integer', 'last_event_id'))
    .execute();
}

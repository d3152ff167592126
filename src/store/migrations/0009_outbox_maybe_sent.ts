import type { Kysely } from 'kysely';

/**
 * A Slack message whose last attempt may have reached Slack although no answer came back (a
 * timeout, a dropped connection, a 5xx): before it is sent again the sender looks for it in the
 * channel's history, so a slow Slack does not get the same message twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('outbox')
    .addColumn('maybe_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

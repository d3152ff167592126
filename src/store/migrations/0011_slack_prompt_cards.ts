import type { Kysely } from 'kysely';

/**
 * Prompts answered in Slack: an outbox row may be a prompt's card (a message with Yes/No buttons,
 * `card = 'prompt'`) or the update of that card once the prompt is answered (`'prompt-answered'`),
 * both naming the prompt. Where a message landed (`slack_channel`, `slack_ts`) is kept, so the card
 * can be updated later, by this master or the next one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, type] of [
    ['card', 'text'],
    ['prompt_id', 'integer'],
    ['slack_channel', 'text'],
    ['slack_ts', 'text'],
  ] as const)
    await db.schema.alterTable('outbox').addColumn(name, type).execute();
  await db.schema.createIndex('outbox_prompt').on('outbox').columns(['prompt_id']).execute();
}

import { z } from 'zod';

/**
 * What icefat reads of the Socket Mode payloads it handles (the rest passes through unread):
 * button clicks (block_actions), modal submissions (view_submission), message shortcuts
 * (message_action) and slash commands. Anything else is acknowledged and ignored.
 */
const user = z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }).loose();

export const blockActions = z
  .object({
    type: z.literal('block_actions'),
    user,
    trigger_id: z.string().optional(),
    channel: z.object({ id: z.string() }).loose().optional(),
    actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() }).loose()),
  })
  .loose();

export const viewSubmission = z
  .object({
    type: z.literal('view_submission'),
    user,
    view: z
      .object({
        callback_id: z.string(),
        private_metadata: z.string().default(''),
        state: z
          .object({
            values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }).loose())),
          })
          .loose(),
      })
      .loose(),
  })
  .loose();

export const messageAction = z
  .object({
    type: z.literal('message_action'),
    callback_id: z.string(),
    user,
    trigger_id: z.string().optional(),
    channel: z.object({ id: z.string() }).loose().optional(),
    message: z.object({ text: z.string().optional() }).loose().optional(),
  })
  .loose();

export const slashCommand = z
  .object({
    command: z.string(),
    text: z.string().default(''),
    user_id: z.string().min(1),
    user_name: z.string().optional(),
    channel_id: z.string().optional(),
    trigger_id: z.string().optional(),
  })
  .loose();

export type SlackUser = z.infer<typeof user>;

/** How a Slack user is recorded: "alice (U0123ABCD)", the id being what Slack vouches for. */
export function slackWho(id: string, name?: string): string {
  return name ? `${name} (${id})` : id;
}

/** The text of a modal's input block (block_id = action_id = name). */
export function inputValue(values: Record<string, Record<string, { value?: string | null }>>, name: string): string {
  return values[name]?.[name]?.value?.trim() ?? '';
}

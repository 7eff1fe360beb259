/**
 * What the Direct Line channel accepts, from clients and from the bot. Fields the channel owns
 * (ids, conversation, sender, recipient, time) are never taken from the input: the channel
 * sets them from the token or the conversation record.
 */
import { z } from 'zod';

/** Longest message text a user may send. */
export const maxUserTextLength = 10_000;
/** Longest message text a bot may send (bots quote and summarise, so more room). */
export const maxBotTextLength = 50_000;

/** A conversation or activity id in a path: what this channel issues, and nothing else. */
export const conversationIdSchema = z
  .string()
  .regex(/^[\w-]{1,64}$/, 'a conversation id issued by this channel');

/** An activity id in a connector path (ids of this channel are `<conversationId>|<number>`). */
export const activityIdSchema = z
  .string()
  .regex(/^[\w|.:-]{1,160}$/, 'an activity id: letters, digits and _ - | . :');

/** A Direct Line watermark: the last sequence number a client has seen. */
export const watermarkSchema = z
  .string()
  .regex(/^\d{0,10}$/, 'a watermark returned by this channel')
  .optional()
  .transform((value) => (value === undefined || value === '' ? 0 : Number(value)));

/** Body of `POST /tokens/generate`: which bot the new conversation talks to. */
export const generateTokenSchema = z.strictObject({
  bot: z.strictObject({ id: z.string().regex(/^[\w-]{1,64}$/, 'a bot id') }),
});

/** An activity a Direct Line client posts. Unknown fields are dropped. */
export const userActivitySchema = z.object({
  type: z.enum(['message', 'event', 'typing']),
  text: z.string().max(maxUserTextLength, `at most ${maxUserTextLength} characters`).optional(),
  textFormat: z.enum(['plain', 'markdown', 'xml']).optional(),
  locale: z.string().max(35).optional(),
  name: z.string().max(256).optional(),
  value: z.unknown().optional(),
  channelData: z.record(z.string(), z.unknown()).optional(),
  entities: z.array(z.record(z.string(), z.unknown())).max(16).optional(),
  from: z.object({ name: z.string().max(256).optional() }).optional(),
});
/** A validated client activity. */
export type UserActivityInput = z.infer<typeof userActivitySchema>;

/** An activity the bot sends through the connector endpoint; its content is kept as sent. */
export const botActivitySchema = z.looseObject({
  type: z.string().min(1).max(64),
  text: z.string().max(maxBotTextLength, `at most ${maxBotTextLength} characters`).optional(),
  from: z.looseObject({ name: z.string().max(256).optional() }).optional(),
  attachments: z
    .array(z.looseObject({ contentType: z.string().min(1).max(256) }))
    .max(50)
    .optional(),
});
/** A validated bot activity. */
export type BotActivityInput = z.infer<typeof botActivitySchema>;

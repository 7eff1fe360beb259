/**
 * Conversation scripts: validation conversations written as data (`dialogs/*.json`), run by
 * {@link runDialogScript} against a bot and reported step by step. A script is a list of
 * steps; each step is one of:
 *
 * - `{ "join": true }`: the user joins the conversation (the bot's welcome follows).
 * - `{ "user": "text" }`: the user says something.
 * - `{ "bot": { ... } }`: the next reply must match: `text` (exactly), `matches` (a regular
 *   expression), `signInLink` (a sign-in card whose link path starts with this), and/or
 *   `suggestedAction` (a button with this value).
 * - `{ "authorize": { "username", "password" }, "outcome"? }`: the credentials are entered on
 *   the last sign-in link shown; `outcome` is what must happen (default `succeeded`).
 * - `{ "expireLink": true }`: time passes beyond the link lifetime and the expiry sweep runs.
 * - `{ "noReply": true }`: the bot has said nothing more.
 *
 * Every step may carry a `note` that the report repeats.
 */
import { readFile } from 'node:fs/promises';

import { z } from 'zod';

import { ByokError, ErrorCode } from '../base/errors.js';

const note = z.string().max(300).optional();
const text = z.string().min(1).max(2000);

const botExpectation = z
  .object({
    text: text.optional(),
    matches: text
      .refine((pattern) => {
        try {
          new RegExp(pattern, 'u');
          return true;
        } catch {
          return false;
        }
      }, 'a valid regular expression')
      .optional(),
    signInLink: z.string().startsWith('/').max(200).optional(),
    suggestedAction: text.optional(),
  })
  .strict()
  .refine((e) => Object.keys(e).length > 0, 'at least one expectation');

/** One step of a script. */
export const dialogStepSchema = z.union([
  z.object({ join: z.literal(true), note }).strict(),
  z.object({ user: text, note }).strict(),
  z.object({ bot: botExpectation, note }).strict(),
  z
    .object({
      authorize: z
        .object({ username: z.string().max(256), password: z.string().max(1024) })
        .strict(),
      outcome: z
        .enum(['succeeded', 'wrong-credentials', 'throttled', 'key-unavailable', 'expired', 'used'])
        .default('succeeded'),
      note,
    })
    .strict(),
  z.object({ expireLink: z.literal(true), note }).strict(),
  z.object({ noReply: z.literal(true), note }).strict(),
]);
export type DialogStep = z.infer<typeof dialogStepSchema>;

/** A whole script. */
export const dialogScriptSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    steps: z.array(dialogStepSchema).min(1).max(200),
  })
  .strict();
export type DialogScript = z.infer<typeof dialogScriptSchema>;

/** Validates a parsed script; throws `BAD_INPUT` naming every wrong place. */
export function parseDialogScript(value: unknown, source = 'script'): DialogScript {
  const parsed = dialogScriptSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const places = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
  throw new ByokError(ErrorCode.BadInput, `${source} is not a valid dialog script`, {
    details: { places: [...new Set(places)].slice(0, 20) },
  });
}

/** Reads and validates a script file. */
export async function loadDialogScript(path: string): Promise<DialogScript> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ByokError(ErrorCode.BadInput, `${path} could not be read as JSON`, { cause: error });
  }
  return parseDialogScript(json, path);
}

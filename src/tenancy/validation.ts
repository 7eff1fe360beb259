/**
 * Input checking shared by the tenancy and key libraries. Library entry points parse their
 * input with a zod schema, so the HTTP API and the CLI refuse exactly the same things with the
 * same message, and a MongoDB operator object (`{"$gt": ""}`) never reaches a query.
 */
import { z } from 'zod';

import { ByokError, ErrorCode } from '../base/errors.js';

/** A display name: trimmed, 1-100 characters, no control characters. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters')
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** An id as produced by `randomId` (or a fixed demo id): short, printable, no operators. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w-]+$/, 'letters, digits, _ or -');

/** An admin's e-mail address, compared case-insensitively. */
export const emailSchema = z
  .email('an e-mail address')
  .max(254)
  .transform((v) => v.toLowerCase());

/**
 * Parses `value` with `schema`, or throws `BAD_INPUT` whose message names every wrong field.
 * Values are never echoed: some inputs are passwords.
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;

  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new ByokError(ErrorCode.BadInput, `invalid ${what}: ${summary}`, { details: { issues } });
}

/**
 * Reading AWS policy documents the way AWS does, far enough to answer "would this policy let
 * principal P call action A on resource R?". Documents arrive in every shape AWS produces:
 * URL-encoded strings from IAM, JSON strings from KMS, objects from files; `Statement`,
 * `Action`, `Resource` and principal lists as a single value or an array.
 *
 * This is an evaluator for checking a customer's set-up, not a full IAM engine: conditions it
 * cannot evaluate make a statement `unknown`, never silently true.
 */
import { z } from 'zod';

import { arnAccount, iamArn } from '../aws/arn.js';
import { ByokError, ErrorCode } from '../base/errors.js';

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => [v].flat());
const conditionValue = z
  .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => [v].flat().map(String));
const principalSchema = z.union([z.literal('*'), z.record(z.string(), oneOrMany)]);

const statementSchema = z.object({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Principal: principalSchema.optional(),
  NotPrincipal: principalSchema.optional(),
  Action: oneOrMany.optional(),
  NotAction: oneOrMany.optional(),
  Resource: oneOrMany.optional(),
  NotResource: oneOrMany.optional(),
  Condition: z.record(z.string(), z.record(z.string(), conditionValue)).optional(),
});

const documentSchema = z.object({
  Version: z.string().optional(),
  Id: z.string().optional(),
  Statement: z.union([statementSchema, z.array(statementSchema)]),
});

/** One condition entry: `{ operator: { key: values } }` flattened. */
export interface ConditionEntry {
  operator: string;
  key: string;
  values: readonly string[];
}

/** A statement with every list normalised to an array. */
export interface Statement {
  /** The Sid, or `#<position>` when the statement has none, so messages can point at it. */
  label: string;
  effect: 'Allow' | 'Deny';
  /** `undefined` in identity policies, which have no principal. */
  principal: { not: boolean; any: boolean; aws: readonly string[] } | undefined;
  actions: { not: boolean; patterns: readonly string[] };
  resources: { not: boolean; patterns: readonly string[] } | undefined;
  conditions: readonly ConditionEntry[];
}

/** A parsed policy document. */
export interface Policy {
  statements: readonly Statement[];
}

/** Whether a condition block holds for a request: `unknown` when it cannot be evaluated here. */
export type Truth = 'true' | 'false' | 'unknown';

/**
 * Parses a policy document from an object, a JSON string or IAM's URL-encoded JSON string.
 * Throws `BAD_INPUT` when it is none of these or not shaped like a policy.
 */
export function parsePolicy(raw: unknown): Policy {
  const value = typeof raw === 'string' ? parseJsonText(raw) : raw;
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new ByokError(ErrorCode.BadInput, `not a policy document (problem at "${where}")`);
  }

  const statements = [parsed.data.Statement].flat().map((s, index): Statement => {
    const principalValue = s.Principal ?? s.NotPrincipal;
    return {
      label: s.Sid !== undefined && s.Sid !== '' ? s.Sid : `#${index + 1}`,
      effect: s.Effect,
      principal:
        principalValue === undefined
          ? undefined
          : {
              not: s.Principal === undefined,
              any: principalValue === '*' || (principalValue.AWS ?? []).includes('*'),
              aws: principalValue === '*' ? [] : (principalValue.AWS ?? []),
            },
      actions: { not: s.Action === undefined, patterns: s.Action ?? s.NotAction ?? [] },
      resources:
        s.Resource === undefined && s.NotResource === undefined
          ? undefined
          : { not: s.Resource === undefined, patterns: s.Resource ?? s.NotResource ?? [] },
      conditions: Object.entries(s.Condition ?? {}).flatMap(([operator, block]) =>
        Object.entries(block).map(([key, values]) => ({ operator, key, values })),
      ),
    };
  });
  return { statements };
}

function parseJsonText(text: string): unknown {
  const trimmed = text.trim();
  for (const candidate of [trimmed, safeDecode(trimmed)]) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // Try the next form: IAM returns its documents URL-encoded.
    }
  }
  throw new ByokError(ErrorCode.BadInput, 'policy document is not valid JSON');
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

/** Matches an IAM wildcard pattern (`*`, `?`) against a value. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Whether the statement covers the action (IAM action names are case-insensitive). */
export function coversAction(statement: Statement, action: string): boolean {
  const hit = statement.actions.patterns.some((p) => wildcardMatch(p, action, true));
  return statement.actions.not ? !hit : hit;
}

/** Whether the statement covers the resource; statements without a resource cover any. */
export function coversResource(statement: Statement, resource: string): boolean {
  if (statement.resources === undefined) return true;
  const hit = statement.resources.patterns.some((p) => wildcardMatch(p, resource));
  return statement.resources.not ? !hit : hit;
}

/** How a statement's principal relates to a role ARN. */
export type PrincipalMatch = 'named' | 'anyone' | 'account' | 'none';

/**
 * How the statement's principal covers `arn`: named directly, `*`, only through the owning
 * account (root ARN or bare account id, which delegates to IAM), or not at all.
 */
export function principalMatch(statement: Statement, arn: string): PrincipalMatch {
  const principal = statement.principal;
  if (principal === undefined) return 'none';

  const { partition, accountId: account } = arnAccount(arn);
  const rootArn = iamArn(partition, account, 'root');
  let match: PrincipalMatch = 'none';
  if (principal.any) match = 'anyone';
  else if (principal.aws.includes(arn)) match = 'named';
  else if (principal.aws.some((p) => p === rootArn || p === account)) match = 'account';
  if (!principal.not) return match;
  return match === 'none' ? 'anyone' : 'none';
}

const stringOperators: Readonly<Record<string, (pattern: string, value: string) => boolean>> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => wildcardMatch(p, v),
  StringNotEquals: (p, v) => p !== v,
  StringNotEqualsIgnoreCase: (p, v) => p.toLowerCase() !== v.toLowerCase(),
  StringNotLike: (p, v) => !wildcardMatch(p, v),
};

/**
 * Evaluates a statement's conditions against the request's known context keys (matched
 * case-insensitively, as AWS does). Unknown operators or keys the request context does not
 * provide make the answer `unknown`.
 */
export function evaluateConditions(
  statement: Statement,
  context: Readonly<Record<string, string>>,
): Truth {
  const known = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  let result: Truth = 'true';
  for (const entry of statement.conditions) {
    const test = stringOperators[entry.operator];
    const value = known.get(entry.key.toLowerCase());
    if (test === undefined || value === undefined) {
      result = 'unknown';
      continue;
    }
    const negated = entry.operator.startsWith('StringNot');
    const holds = negated
      ? entry.values.every((p) => test(p, value))
      : entry.values.some((p) => test(p, value));
    if (!holds) return 'false';
  }
  return result;
}

/** A question to a policy: may `principal` call `action` on `resource`? */
export interface AccessRequest {
  action: string;
  resource: string;
  /** The caller's ARN; omit for identity policies, which have no principal. */
  principal?: string;
  /** Condition keys the request carries, e.g. `{ 'sts:ExternalId': '...' }`. */
  context?: Readonly<Record<string, string>>;
}

/** The answer, with the statements that decided it. */
export interface AccessDecision {
  decision: 'allowed' | 'denied' | 'not-allowed';
  /** Labels of the statements that allowed or denied. */
  by: readonly string[];
  /** Labels of statements that would matter but whose conditions could not be evaluated. */
  undecided: readonly string[];
}

/**
 * Decides a request the way AWS combines statements: an explicit deny wins, then any allow;
 * nothing matching means not allowed. Only principals named directly or `*` count here (an
 * account principal delegates to IAM policies and is checked separately).
 */
export function decide(policy: Policy, request: AccessRequest): AccessDecision {
  const context = request.context ?? {};
  const relevant = policy.statements.filter((s) => {
    if (!coversAction(s, request.action) || !coversResource(s, request.resource)) return false;
    if (request.principal === undefined) return true;
    const match = principalMatch(s, request.principal);
    return match === 'named' || match === 'anyone' || (s.effect === 'Deny' && match === 'account');
  });

  const undecided: string[] = [];
  const byEffect = (effect: 'Allow' | 'Deny') =>
    relevant.filter((s) => {
      if (s.effect !== effect) return false;
      const truth = evaluateConditions(s, context);
      if (truth === 'unknown') undecided.push(s.label);
      return truth === 'true';
    });

  const denies = byEffect('Deny');
  if (denies.length > 0) return { decision: 'denied', by: denies.map((s) => s.label), undecided };
  const allows = byEffect('Allow');
  if (allows.length > 0) return { decision: 'allowed', by: allows.map((s) => s.label), undecided };
  return { decision: 'not-allowed', by: [], undecided };
}

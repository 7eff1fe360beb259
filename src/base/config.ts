/**
 * Configuration from the environment, validated once at start-up. A wrong value stops the
 * process with a message that names the variable and what was expected; nothing downstream
 * reads `process.env` directly, so this file is the complete configuration reference.
 */
import { z } from 'zod';

import { ByokError, ErrorCode } from './errors.js';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const iamRoleArn = z
  .string()
  .regex(
    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'an IAM role ARN such as arn:aws:iam::111122223333:role/Platform-Service-Role',
  );

/** Every variable the service reads, with its default. */
export const configSchema = z.object({
  /** HTTP port of the host. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  /** Interface the host listens on. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Public base URL used in links the bot shows (authorization links). Defaults to the listen address. */
  BYOK_PUBLIC_URL: z.url().optional(),
  /** MongoDB connection string. Unset: start an embedded database (see README). */
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// URI')
    .optional(),
  /** Database name inside MONGODB_URI. */
  MONGODB_DB: z
    .string()
    .regex(/^[\w-]{1,60}$/, 'letters, digits, _ or -')
    .default('byok'),
  /** Folder for the embedded database, the local master key and local AWS state. */
  BYOK_DATA_DIR: z.string().min(1).default('.data'),
  /** Start local-kms and moto (STS, IAM) with the embedded host, for trying BYOK without AWS. */
  BYOK_LOCAL_AWS: flag,
  /** Platform default key: 32 bytes, base64. Unset: generated on first start into the data dir. */
  BYOK_LOCAL_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, '32 bytes encoded as base64')
    .optional(),
  /** The platform's service role ARN that customers name in their role's trust policy. */
  BYOK_SERVICE_ROLE_ARN: iamRoleArn.default('arn:aws:iam::000000000000:role/byok-harness-service'),
  /** Attempts per KMS or STS call (first included); only throttling and transient faults retry. */
  BYOK_AWS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Milliseconds to connect to KMS or STS before the attempt counts as failed. */
  BYOK_AWS_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  /** Milliseconds for one KMS or STS request and its answer before the attempt counts as failed. */
  BYOK_AWS_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Upper bound, in seconds, between a customer revoking key access and the platform losing it. */
  BYOK_DEK_CACHE_MAX_AGE_SECONDS: seconds(300),
  /** How many plaintext data keys the process keeps in memory at most. */
  BYOK_DEK_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(1000),
  /** How often every configured key is re-checked, in seconds. */
  BYOK_HEALTH_INTERVAL_SECONDS: seconds(900),
  /** How long an authorization link stays valid, in seconds. */
  BYOK_LINK_TTL_SECONDS: seconds(600),
  /**
   * Secret that signs authorization links: at least 32 bytes, base64. Unset: generated on first
   * start into the data dir. Every host process on one database needs the same one.
   */
  BYOK_LINK_SECRET: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length >= 32, 'at least 32 bytes encoded as base64')
    .optional(),
  /** First admin of the embedded default; a password is generated and printed once if unset. */
  BYOK_ADMIN_EMAIL: z.email().default('admin@example.com'),
  BYOK_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  /** Bot Framework app registration; unset runs without channel authentication (local use). */
  MicrosoftAppId: z.string().min(1).optional(),
  MicrosoftAppPassword: z.string().min(1).optional(),
  MicrosoftAppTenantId: z.string().min(1).optional(),
  MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).optional(),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;

/**
 * Reads and validates the configuration. Throws {@link ByokError} `CONFIG_INVALID` whose message
 * lists every wrong variable with what was expected (values are not echoed: some are secrets).
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, emptyToUndefined(env[key])]),
  );
  const result = configSchema.safeParse(known);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    return `${variable}: expected ${issue.message}`;
  });
  throw new ByokError(
    ErrorCode.ConfigInvalid,
    `invalid configuration:\n  ${problems.join('\n  ')}`,
    {
      details: { variables: result.error.issues.map((i) => i.path.join('.')) },
    },
  );
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

import * as z from 'zod/mini';

/**
 * Runtime settings, read from the environment so the same code runs in Lambda and on the
 * local stack. Endpoints are only set locally; in AWS the SDK picks the regional ones.
 */
/** Whole-number settings and their bounds. */
const WHOLE_NUMBER_BOUNDS = {
  DATA_KEY_CACHE_SECONDS: [0, 300],
  MAX_VERSIONS: [1, 100],
  RECOVERY_WINDOW_DAYS: [1, 30],
  AUDIT_RETENTION_DAYS: [1, 3650],
  UPSTREAM_TIMEOUT_MS: [100, Number.MAX_SAFE_INTEGER],
  KEY_MAX_AGE_DAYS: [1, Number.MAX_SAFE_INTEGER],
  SECRET_MAX_AGE_DAYS: [1, Number.MAX_SAFE_INTEGER],
  MAX_SECRETS_PER_TENANT: [1, Number.MAX_SAFE_INTEGER],
  MAX_VALUE_BYTES_PER_TENANT: [1, Number.MAX_SAFE_INTEGER],
} as const;

// Every schema built at module scope is paid for at each cold start: the settings share their
// field schemas, and the bounds are checked in one pass.
const wholeNumber = z.coerce.number().check(z.int());
const nonEmpty = z.string().check(z.minLength(1));
const endpoint = z.optional(z.url());

const ConfigSchema = z
  .object({
    AWS_REGION: z.string(),
    TABLE_NAME: z.string().check(z.minLength(3)),
    DYNAMODB_ENDPOINT: endpoint,
    KMS_ENDPOINT: endpoint,
    KMS_KEY_ID: nonEmpty,
    DATA_KEY_CACHE_SECONDS: wholeNumber,
    MAX_VERSIONS: wholeNumber,
    RECOVERY_WINDOW_DAYS: wholeNumber,
    AUDIT_RETENTION_DAYS: wholeNumber,
    UPSTREAM_TIMEOUT_MS: wholeNumber,
    EVENT_BUS_NAME: nonEmpty,
    KEY_MAX_AGE_DAYS: wholeNumber,
    SECRET_MAX_AGE_DAYS: wholeNumber,
    MAX_SECRETS_PER_TENANT: wholeNumber,
    MAX_VALUE_BYTES_PER_TENANT: wholeNumber,
  })
  .check(
    z.superRefine((settings, ctx) => {
      for (const [name, [min, max]] of Object.entries(WHOLE_NUMBER_BOUNDS)) {
        const value = settings[name as keyof typeof WHOLE_NUMBER_BOUNDS];
        if (value < min || value > max)
          ctx.addIssue({ code: 'custom', input: value, path: [name], message: `Must be from ${min} to ${max}` });
      }
    }),
  );

/** What an unset variable means. */
const DEFAULTS: Partial<Record<keyof z.infer<typeof ConfigSchema>, string>> = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'secrets-service',
  KMS_KEY_ID: 'alias/secrets-service',
  DATA_KEY_CACHE_SECONDS: '300',
  MAX_VERSIONS: '20',
  RECOVERY_WINDOW_DAYS: '7',
  AUDIT_RETENTION_DAYS: '90',
  UPSTREAM_TIMEOUT_MS: '3000',
  EVENT_BUS_NAME: 'secrets-rotation',
  KEY_MAX_AGE_DAYS: '90',
  SECRET_MAX_AGE_DAYS: '90',
  MAX_SECRETS_PER_TENANT: '1000',
  MAX_VALUE_BYTES_PER_TENANT: String(4 * 1024 * 1024),
};

export type Config = {
  region: string;
  tableName: string;
  dynamoDbEndpoint?: string;
  kmsEndpoint?: string;
  kmsKeyId: string;
  dataKeyCacheMs: number;
  auditRetentionDays: number;
  /** Value versions kept per secret, the current one included. */
  maxVersions: number;
  /** How long a deleted environment (or secret) can be restored before it is purged. */
  recoveryWindowDays: number;
  upstreamTimeoutMs: number;
  /** Rotation: where its events go, and the ages that make keys and secrets due. */
  eventBusName: string;
  keyMaxAgeDays: number;
  secretMaxAgeDays: number;
  /** Per tenant (a user, an environment), so that inject always fits one Lambda response. */
  quota: { maxSecrets: number; maxValueBytes: number };
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  const parsed = ConfigSchema.safeParse({ ...DEFAULTS, ...set });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`Invalid service configuration in: ${fields}`);
  }
  const c = parsed.data;
  return {
    region: c.AWS_REGION,
    tableName: c.TABLE_NAME,
    dynamoDbEndpoint: c.DYNAMODB_ENDPOINT,
    kmsEndpoint: c.KMS_ENDPOINT,
    kmsKeyId: c.KMS_KEY_ID,
    dataKeyCacheMs: c.DATA_KEY_CACHE_SECONDS * 1000,
    auditRetentionDays: c.AUDIT_RETENTION_DAYS,
    maxVersions: c.MAX_VERSIONS,
    recoveryWindowDays: c.RECOVERY_WINDOW_DAYS,
    upstreamTimeoutMs: c.UPSTREAM_TIMEOUT_MS,
    eventBusName: c.EVENT_BUS_NAME,
    keyMaxAgeDays: c.KEY_MAX_AGE_DAYS,
    secretMaxAgeDays: c.SECRET_MAX_AGE_DAYS,
    quota: { maxSecrets: c.MAX_SECRETS_PER_TENANT, maxValueBytes: c.MAX_VALUE_BYTES_PER_TENANT },
  };
}

import * as z from 'zod/mini';

/**
 * Runtime settings, read from the environment so the same code runs in Lambda and on the
 * local stack. Endpoints are only set locally; in AWS the SDK picks the regional ones.
 */
const ConfigSchema = z.object({
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'secrets-service'),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  KMS_ENDPOINT: z.optional(z.url()),
  KMS_KEY_ID: z._default(z.string().check(z.minLength(1)), 'alias/secrets-service'),
  DATA_KEY_CACHE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(300)), 300),
  MAX_VERSIONS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  RECOVERY_WINDOW_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(30)), 7),
  AUDIT_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(3650)), 90),
  UPSTREAM_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(100)), 3000),
  EVENT_BUS_NAME: z._default(z.string().check(z.minLength(1)), 'secrets-rotation'),
  KEY_MAX_AGE_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 90),
  SECRET_MAX_AGE_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 90),
  MAX_SECRETS_PER_TENANT: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1000),
  MAX_VALUE_BYTES_PER_TENANT: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 4 * 1024 * 1024),
});

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
  const parsed = ConfigSchema.safeParse(env);
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

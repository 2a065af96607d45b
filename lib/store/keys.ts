/**
 * Key builders for the single table — the only place key strings are spelled.
 *
 *   PK = tenant (USER#<sub> | ENV#<id>)
 *     SK = META                    tenant header: active data key version (`key_version`), `total`;
 *                                  an environment's also holds name, description, timestamps
 *                                  and its `owners` count
 *     SK = DATAKEY#<000001>        KMS-wrapped data key, one item per version
 *     SK = SECRET#<id | key>       a secret with its current value (`kv`, `ct`, `value_version`);
 *                                  the part after SECRET# is the AAD record id (a user secret's
 *                                  id, an environment secret's key)
 *     SK = VERSION#<record id>#<000003>  an earlier value of that secret in one of its version
 *                                  slots (the record's `history` says which version each
 *                                  holds); apart from SECRET# so lists and inject never read it
 *     SK = TRASH#<record id>       a deleted secret with its current value, until `expires_at`
 *     SK = TRASHNAME#<name>        a deleted user secret's name, reserved until `expires_at`
 *     SK = NAME#<name>             index entry for a user secret name: uniqueness + sorted list
 *     SK = MEMBER#<sub>            an environment member's role, with GSI1PK = USER#<sub> and
 *                                  GSI1SK = ENV#<id> so a user's environments are one Query
 *     SK = AUDIT#<ulid>            audit event, expires via TTL
 *     SK = TOKEN#<id>              an environment's service token as its owners list it: name,
 *                                  expiry, last use and the hash of its lookup item
 *
 * In a tenant nothing may sort between META and the prefix its list reads (NAME# for a user,
 * SECRET# for an environment): the first page of a list reads the header and the items in one
 * Query over that range.
 *
 *   PK = SERVICETOKEN#<sha256>     a service token found by the hash of its secret (one GetItem):
 *     SK = META                    its environment and expiry; expires via TTL
 *
 *   PK = IDEMPOTENCY#<sub>         a caller's idempotency records, apart from every tenant
 *     SK = KEY#<Idempotency-Key>   the request it was first sent with and its response;
 *                                  expires via TTL after 24 h
 *
 * GSI1 (sparse):
 *   GSI1PK = DATAKEYS#<status>, GSI1SK = <created_at>#<tenant>   data keys that are active or
 *                                                                retiring, oldest first: how
 *                                                                rotation finds its tenants
 *   GSI1PK = PURGE#environments, GSI1SK = <purge_at>#<tenant>     deleted environments (their
 *                                                                META), soonest purge first
 */
export type Key = { PK: string; SK: string };
export type IndexKey = { GSI1PK: string; GSI1SK: string };

export const SK_PREFIX = {
  dataKey: 'DATAKEY#',
  /** Every value item, user or environment: rotation sweeps this prefix. */
  secret: 'SECRET#',
  userSecretName: 'NAME#',
  member: 'MEMBER#',
  audit: 'AUDIT#',
  serviceToken: 'TOKEN#',
  secretVersion: 'VERSION#',
  trashedSecret: 'TRASH#',
  trashedName: 'TRASHNAME#',
} as const;

/** Every sort-key prefix under which items hold a sealed value: what rotation sweeps. */
export const SEALED_VALUE_PREFIXES = [SK_PREFIX.secret, SK_PREFIX.secretVersion, SK_PREFIX.trashedSecret] as const;

export const ENVIRONMENT_TENANT_PREFIX = 'ENV#';

export const SK_META = 'META';

/** Upper bound of a `…#` prefix's range: `$` is the character after `#`. */
export const prefixEnd = (prefix: string): string => `${prefix.slice(0, -1)}$`;

export const userTenant = (sub: string): string => `USER#${sub}`;
export const environmentTenant = (environmentId: string): string => `${ENVIRONMENT_TENANT_PREFIX}${environmentId}`;

/** Tenant ids are `USER#<sub>` or `ENV#<id>`; KMS encryption contexts and IAM conditions use them. */
export const TENANT_PATTERN = /^(USER|ENV)#.+$/;

const pad = (version: number): string => String(version).padStart(6, '0');

/** The sort-key prefix of one secret's earlier values (record ids never hold `#`). */
export const versionPrefix = (recordId: string): string => `${SK_PREFIX.secretVersion}${recordId}#`;

/**
 * The AAD record id of an item holding a sealed value, from where it sits: SECRET#<id>,
 * TRASH#<id> or VERSION#<id>#<n>. A value moved to another record's slot fails to open.
 */
export function sealedRecordId(sortKey: string): string {
  if (sortKey.startsWith(SK_PREFIX.secretVersion))
    return sortKey.slice(SK_PREFIX.secretVersion.length, sortKey.lastIndexOf('#'));
  const prefix = SEALED_VALUE_PREFIXES.find((candidate) => sortKey.startsWith(candidate));
  if (!prefix) throw new Error(`Not a sealed value's sort key: ${sortKey}`);
  return sortKey.slice(prefix.length);
}

export const itemKeys = {
  tenantMeta: (tenant: string): Key => ({ PK: tenant, SK: SK_META }),
  dataKey: (tenant: string, version: number): Key => ({ PK: tenant, SK: `${SK_PREFIX.dataKey}${pad(version)}` }),
  userSecret: (tenant: string, id: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.secret}${id}` }),
  userSecretName: (tenant: string, name: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.userSecretName}${name}` }),
  environmentSecret: (tenant: string, key: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.secret}${key}` }),
  secretVersion: (tenant: string, recordId: string, slot: number): Key => ({
    PK: tenant,
    SK: `${versionPrefix(recordId)}${pad(slot)}`,
  }),
  trashedSecret: (tenant: string, recordId: string): Key => ({
    PK: tenant,
    SK: `${SK_PREFIX.trashedSecret}${recordId}`,
  }),
  trashedName: (tenant: string, name: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.trashedName}${name}` }),
  member: (tenant: string, sub: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.member}${sub}` }),
  audit: (tenant: string, eventId: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.audit}${eventId}` }),
  serviceToken: (tenant: string, id: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.serviceToken}${id}` }),
  serviceTokenLookup: (tokenHash: string): Key => ({ PK: `SERVICETOKEN#${tokenHash}`, SK: SK_META }),
  idempotency: (sub: string, idempotencyKey: string): Key => ({
    PK: `IDEMPOTENCY#${sub}`,
    SK: `KEY#${idempotencyKey}`,
  }),
};

export const indexKeys = {
  /** A membership as seen from the member: "environments of USER#<sub>", ordered by tenant. */
  membership: (sub: string, environment: string): IndexKey => ({ GSI1PK: userTenant(sub), GSI1SK: environment }),
};

export type DataKeyIndexStatus = 'active' | 'retiring';

/** Deleted environments by when they are due to be purged: how the scheduled purge finds them. */
export const purgeIndex = {
  partition: 'PURGE#environments',
  entry: (purgeAt: string, tenant: string): IndexKey => ({
    GSI1PK: purgeIndex.partition,
    GSI1SK: `${purgeAt}#${tenant}`,
  }),
};

export const dataKeyIndex = {
  partition: (status: DataKeyIndexStatus): string => `DATAKEYS#${status}`,
  entry: (status: DataKeyIndexStatus, createdAt: string, tenant: string): IndexKey => ({
    GSI1PK: dataKeyIndex.partition(status),
    GSI1SK: `${createdAt}#${tenant}`,
  }),
};

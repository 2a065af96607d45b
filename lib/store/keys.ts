/**
 * Key builders for the single table — the only place key strings are spelled.
 *
 *   PK = tenant (USER#<sub> | ENV#<id>)
 *     SK = META                    tenant header: active data key version, `total`
 *     SK = DATAKEY#<000001>        KMS-wrapped data key, one item per version
 *     SK = SECRET#<id>             a user secret with its ciphertext; value versions will
 *                                  sort right after it as SECRET#<id>#V#<n>
 *     SK = NAME#<name>             index entry for a user secret name: uniqueness + sorted list
 *     SK = AUDIT#<ulid>            audit event, expires via TTL
 *
 * GSI1 (sparse):
 *   GSI1PK = DATAKEYS#<status>, GSI1SK = <created_at>#<tenant>   data keys that are active or
 *                                                                retiring, oldest first: how
 *                                                                rotation finds its tenants
 */
export type Key = { PK: string; SK: string };

export const SK_PREFIX = {
  dataKey: 'DATAKEY#',
  userSecret: 'SECRET#',
  userSecretName: 'NAME#',
  audit: 'AUDIT#',
} as const;

export const userTenant = (sub: string): string => `USER#${sub}`;

/** Tenant ids are `USER#<sub>` or `ENV#<id>`; KMS encryption contexts and IAM conditions use them. */
export const TENANT_PATTERN = /^(USER|ENV)#.+$/;

const pad = (version: number): string => String(version).padStart(6, '0');

export const keys = {
  tenantMeta: (tenant: string): Key => ({ PK: tenant, SK: 'META' }),
  dataKey: (tenant: string, version: number): Key => ({ PK: tenant, SK: `${SK_PREFIX.dataKey}${pad(version)}` }),
  userSecret: (tenant: string, id: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.userSecret}${id}` }),
  userSecretName: (tenant: string, name: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.userSecretName}${name}` }),
  audit: (tenant: string, eventId: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.audit}${eventId}` }),
};

export type DataKeyIndexStatus = 'active' | 'retiring';

export const dataKeyIndex = {
  partition: (status: DataKeyIndexStatus): string => `DATAKEYS#${status}`,
  entry: (status: DataKeyIndexStatus, createdAt: string, tenant: string) => ({
    GSI1PK: dataKeyIndex.partition(status),
    GSI1SK: `${createdAt}#${tenant}`,
  }),
};

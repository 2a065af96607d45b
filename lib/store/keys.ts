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
 * Nothing may sort between META and NAME#: the first page of a list reads the header and the
 * names in one Query over that range.
 */
export type Key = { PK: string; SK: string };

export const SK_PREFIX = {
  dataKey: 'DATAKEY#',
  userSecret: 'SECRET#',
  userSecretName: 'NAME#',
  audit: 'AUDIT#',
} as const;

export const SK_META = 'META';
/** Upper bound of the NAME# range: `$` is the character after `#`. */
export const SK_NAMES_END = `${SK_PREFIX.userSecretName.slice(0, -1)}$`;

export const userTenant = (sub: string): string => `USER#${sub}`;

const pad = (version: number): string => String(version).padStart(6, '0');

export const keys = {
  tenantMeta: (tenant: string): Key => ({ PK: tenant, SK: SK_META }),
  dataKey: (tenant: string, version: number): Key => ({ PK: tenant, SK: `${SK_PREFIX.dataKey}${pad(version)}` }),
  userSecret: (tenant: string, id: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.userSecret}${id}` }),
  userSecretName: (tenant: string, name: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.userSecretName}${name}` }),
  audit: (tenant: string, eventId: string): Key => ({ PK: tenant, SK: `${SK_PREFIX.audit}${eventId}` }),
};

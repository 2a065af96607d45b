import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { readTenantItems } from '../store/tenant-items.js';
import { recordAudit } from '../audit.js';
import { openValue } from '../crypto/envelope.js';
import { parseRecord } from '../store/records.js';
import type { ValueDeps } from '../secrets/user-secrets.js';
import { projection } from '../store/expressions.js';
import { environmentTenant, keys, SK_PREFIX } from '../store/keys.js';
import { authorizeMember } from './members.js';
import { secretNeverReveal, secretNotFound } from './errors.js';
import { SECRET_VALUE_ATTRIBUTES, SecretValueRecord } from './schemas.js';

/**
 * The two ways plaintext leaves an environment. Each writes its audit event (who, which
 * keys, which request — never a value) before the plaintext is returned.
 */

/** One value for a person (editors and owners); a neverReveal secret is refused. */
export async function revealSecret(
  deps: ValueDeps,
  sub: string,
  environmentId: string,
  key: string,
  requestId: string,
): Promise<{ key: string; value: string }> {
  await authorizeMember(deps, environmentId, sub, 'revealSecrets');
  const tenant = environmentTenant(environmentId);
  const { Item } = await deps.ddb.send(
    new GetCommand({
      TableName: deps.config.tableName,
      Key: keys.environmentSecret(tenant, key),
      ConsistentRead: true,
      ...projection(...SECRET_VALUE_ATTRIBUTES),
    }),
  );
  if (!Item) throw secretNotFound(key);
  const record = parseRecord(SecretValueRecord, Item, 'environment-secret-value');
  if (record.never_reveal) throw secretNeverReveal(key);
  const value = await open(deps, tenant, record);
  await recordAudit(deps, tenant, { action: 'reveal', actor: sub, requestId, keys: [key] });
  return { key, value };
}

/** Every value, neverReveal ones included, as `{KEY: value}` for a runtime; any member may. */
export async function injectSecrets(deps: ValueDeps, sub: string, environmentId: string, requestId: string): Promise<Record<string, string>> {
  await authorizeMember(deps, environmentId, sub, 'injectSecrets');
  const tenant = environmentTenant(environmentId);
  const records = await readTenantItems({ ddb: deps.ddb, tableName: deps.config.tableName }, tenant, SK_PREFIX.secret, {
    schema: SecretValueRecord,
    type: 'environment-secret-value',
    attributes: [...SECRET_VALUE_ATTRIBUTES],
  });
  const env: Record<string, string> = {};
  for (const record of records) env[record.key] = await open(deps, tenant, record);
  await recordAudit(deps, tenant, { action: 'inject', actor: sub, requestId, keys: Object.keys(env) });
  return env;
}

/** Decrypts under the data key version the value was sealed with (cached: ≤ 1 KMS call per version). */
async function open({ keyring }: ValueDeps, tenant: string, record: SecretValueRecord): Promise<string> {
  const dataKey = await keyring.version(tenant, record.kv);
  return openValue(dataKey.key, record.ct, { tenant, recordId: record.key, keyVersion: record.kv });
}

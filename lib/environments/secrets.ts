import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { sealValue } from '../crypto/envelope.js';
import { checkPrecondition, type Precondition } from '../http/responses.js';
import { parseRecord } from '../store/records.js';
import { MASK, maskValue } from '../secrets/masking.js';
import type { StoreDeps, ValueDeps } from '../secrets/user-secrets.js';
import { type PageQuery } from '../store/cursor.js';
import { queryCountedPage, totalUpdate } from '../store/counted-page.js';
import { projection, setAll } from '../store/expressions.js';
import { environmentTenant, keys, SK_PREFIX } from '../store/keys.js';
import { retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { activeKeyCheck, type DataKey, staleKeyRetry } from '../crypto/keyring.js';
import { nowTimestamp } from '../time.js';
import { authorizeMember } from './members.js';
import { neverRevealIsOneWay, secretExists, secretNotFound } from './errors.js';
import {
  type CreateSecretBody,
  SECRET_METADATA_ATTRIBUTES,
  type SecretMetadata,
  SecretMetadataRecord,
  toSecretMetadata,
  type UpdateSecretBody,
} from './schemas.js';

/**
 * Secrets of an environment: metadata operations and value writes. A value is sealed under the
 * environment's own data key with its key as AAD record id, so it cannot be moved to another
 * key or environment. Plaintext reads (reveal, inject) live in values.ts.
 */

export async function createSecret(deps: ValueDeps, sub: string, environmentId: string, input: CreateSecretBody): Promise<SecretMetadata> {
  await authorizeMember(deps, environmentId, sub, 'writeSecrets');
  const tenant = environmentTenant(environmentId);
  const record = newSecretRecord(sub, input, nowTimestamp());
  // A failed check on META means the cached data key was rotated away: reseal and retry.
  await retryConditionalWrite(
    async () => {
      const sealed = await seal(deps, tenant, input.key, input.value);
      await transactWrite(deps.ddb, [
        {
          Put: {
            TableName: deps.config.tableName,
            Item: environmentSecretItem(tenant, record, sealed),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        { Update: totalUpdate(deps.config.tableName, tenant, 1, sealed.kv) },
      ]);
    },
    staleKeyRetry(deps.keyring, tenant, 1, () => secretExists(input.key)),
  );
  return toSecretMetadata(record);
}

/** One page of secret metadata in key order, with the exact `total` kept on META. */
export async function listSecrets(
  deps: StoreDeps,
  sub: string,
  environmentId: string,
  page: PageQuery,
): Promise<{ secrets: SecretMetadata[]; total: number; nextCursor: string | null }> {
  await authorizeMember(deps, environmentId, sub, 'readSecrets');
  const result = await queryCountedPage(
    { ddb: deps.ddb, tableName: deps.config.tableName },
    environmentTenant(environmentId),
    SK_PREFIX.secret,
    page,
    [...SECRET_METADATA_ATTRIBUTES],
  );
  return {
    secrets: result.items.map((item) => toSecretMetadata(parseRecord(SecretMetadataRecord, item, 'environment-secret'))),
    total: result.total,
    nextCursor: result.nextCursor,
  };
}

export async function getSecret(deps: StoreDeps, sub: string, environmentId: string, key: string): Promise<SecretMetadata> {
  await authorizeMember(deps, environmentId, sub, 'readSecrets');
  return toSecretMetadata(await readSecretMetadata(deps, environmentTenant(environmentId), key));
}

/**
 * Changes any of value, description and neverReveal, bumping the version. neverReveal only
 * ever turns on; turning it on masks the displayed value fully.
 */
export async function updateSecret(
  deps: ValueDeps,
  sub: string,
  environmentId: string,
  key: string,
  patch: UpdateSecretBody,
  precondition: Precondition,
): Promise<SecretMetadata> {
  await authorizeMember(deps, environmentId, sub, 'writeSecrets');
  const tenant = environmentTenant(environmentId);
  // Someone else may write in between, or the data key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite(async () => {
    const current = await readSecretMetadata(deps, tenant, key);
    if (current.never_reveal && patch.neverReveal === false) throw neverRevealIsOneWay();
    checkPrecondition(precondition, current.version);
    const neverReveal = current.never_reveal || patch.neverReveal === true;
    const next: SecretMetadataRecord = {
      ...current,
      description: patch.description ?? current.description,
      never_reveal: neverReveal,
      masked_value: patch.value === undefined ? (neverReveal ? MASK : current.masked_value) : displayMask(patch.value, neverReveal),
      version: current.version + 1,
      updated_at: nowTimestamp(),
      updated_by: sub,
    };
    const sealed = patch.value === undefined ? undefined : await seal(deps, tenant, key, patch.value);
    const update = setAll({ ...next, ...sealed });
    await transactWrite(deps.ddb, [
      {
        Update: {
          TableName: deps.config.tableName,
          Key: keys.environmentSecret(tenant, key),
          ...update,
          ConditionExpression: '#version = :read',
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':read': current.version },
        },
      },
      ...(sealed ? [activeKeyCheck(deps.config.tableName, tenant, sealed.kv)] : []),
    ]);
    return toSecretMetadata(next);
  }, staleKeyRetry(deps.keyring, tenant, 1));
}

export async function deleteSecret(
  deps: StoreDeps,
  sub: string,
  environmentId: string,
  key: string,
  precondition: Precondition,
): Promise<void> {
  await authorizeMember(deps, environmentId, sub, 'writeSecrets');
  const tenant = environmentTenant(environmentId);
  await retryConditionalWrite(async () => {
    const current = await readSecretMetadata(deps, tenant, key);
    checkPrecondition(precondition, current.version);
    await transactWrite(deps.ddb, [
      {
        Delete: {
          TableName: deps.config.tableName,
          Key: keys.environmentSecret(tenant, key),
          ConditionExpression: '#version = :read',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':read': current.version },
        },
      },
      { Update: totalUpdate(deps.config.tableName, tenant, -1) },
    ]);
  });
}

/** The metadata of a secret as first written, by `sub` at `now`. */
export function newSecretRecord(sub: string, input: CreateSecretBody, now: string): SecretMetadataRecord {
  return {
    key: input.key,
    description: input.description,
    never_reveal: input.neverReveal,
    masked_value: displayMask(input.value, input.neverReveal),
    version: 1,
    created_at: now,
    updated_at: now,
    updated_by: sub,
  };
}

/** The stored item of a secret: metadata and sealed value. createSecret writes it; the bench seeds it. */
export function environmentSecretItem(tenant: string, record: SecretMetadataRecord, sealed: SealedValue): Record<string, unknown> {
  return { ...keys.environmentSecret(tenant, record.key), ...record, ...sealed };
}

async function readSecretMetadata({ ddb, config }: StoreDeps, tenant: string, key: string): Promise<SecretMetadataRecord> {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: keys.environmentSecret(tenant, key),
      ConsistentRead: true,
      ...projection(...SECRET_METADATA_ATTRIBUTES),
    }),
  );
  if (!Item) throw secretNotFound(key);
  return parseRecord(SecretMetadataRecord, Item, 'environment-secret');
}

/** The stored value attributes: ciphertext and the data key version it was sealed under. */
export interface SealedValue {
  kv: number;
  ct: Buffer;
}

async function seal({ keyring }: ValueDeps, tenant: string, key: string, value: string): Promise<SealedValue> {
  return sealUnder(await keyring.active(tenant), key, value);
}

/** Seals `value` under `dataKey` with the secret's key as AAD record id. */
export function sealUnder(dataKey: DataKey, key: string, value: string): SealedValue {
  return { kv: dataKey.version, ct: sealValue(dataKey.key, value, { tenant: dataKey.tenant, recordId: key, keyVersion: dataKey.version }) };
}

function displayMask(value: string, neverReveal: boolean): string {
  return neverReveal ? MASK : maskValue(value);
}

import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { readTenantItems } from '../store/tenant-items.js';
import type { Config } from '../config.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import { ConflictError, NotFoundError } from '../http/errors.js';
import { checkPrecondition, type Precondition } from '../http/responses.js';
import { parseRecord } from '../store/records.js';
import { keys, SK_PREFIX, userTenant } from '../store/keys.js';
import { retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { activeKeyCheck, type DataKey, type Keyring, staleKeyRetry } from '../crypto/keyring.js';
import { nowTimestamp } from '../time.js';
import { queryCountedPage, totalUpdate } from '../store/counted-page.js';
import { projection } from '../store/expressions.js';
import { recordAudit } from '../audit.js';
import { maskValue } from './masking.js';
import {
  type CreateUserSecretBody,
  type ListUserSecretsQuery,
  METADATA_ATTRIBUTES,
  toMetadata,
  type UserSecretMetadata,
  UserSecretMetadataRecord,
  UserSecretRecord,
  UserSecretValueRecord,
} from './user-secret-schemas.js';

/** Dependencies of metadata-only operations: no KMS, no keys. */
export interface StoreDeps {
  ddb: DynamoDBDocumentClient;
  config: Config;
}

/** Dependencies of operations that read or write values. */
export interface ValueDeps extends StoreDeps {
  keyring: Keyring;
}

export interface VersionedMetadata {
  metadata: UserSecretMetadata;
  version: number;
}

export async function createUserSecret(deps: ValueDeps, sub: string, input: CreateUserSecretBody): Promise<VersionedMetadata> {
  const { ddb, config, keyring } = deps;
  const tenant = userTenant(sub);
  const id = randomUUID();
  const now = nowTimestamp();
  const conflict = () => new ConflictError(`A secret named ${input.name} already exists; update it with PUT, or choose another name`);
  return retryConditionalWrite(async () => {
    const dataKey = await keyring.active(tenant);
    const secret = newUserSecret(tenant, { id, now, ...input }, dataKey);
    await transactWrite(ddb, [
      { Put: { TableName: config.tableName, Item: secret.nameItem, ConditionExpression: 'attribute_not_exists(PK)' } },
      { Put: { TableName: config.tableName, Item: secret.secretItem, ConditionExpression: 'attribute_not_exists(PK)' } },
      { Update: totalUpdate(config.tableName, tenant, 1, dataKey.version) },
    ]);
    return { metadata: secret.metadata, version: 1 };
  }, staleKeyRetry(keyring, tenant, 2, conflict));
}

/** A new secret as stored: its name index entry and the secret item holding the sealed value. */
export interface NewUserSecret {
  metadata: UserSecretMetadata;
  nameItem: Record<string, unknown>;
  secretItem: Record<string, unknown>;
}

/** Builds (does not write) the items of a new secret, sealing the value under `dataKey`. */
export function newUserSecret(
  tenant: string,
  input: CreateUserSecretBody & { id?: string; now?: string },
  dataKey: DataKey,
): NewUserSecret {
  const { id = randomUUID(), now = nowTimestamp() } = input;
  const metadata: UserSecretMetadata = {
    id,
    name: input.name,
    provider: input.provider,
    masked_value: maskValue(input.value),
    created_at: now,
    updated_at: now,
  };
  const ct = sealValue(dataKey.key, input.value, { tenant, recordId: id, keyVersion: dataKey.version });
  return {
    metadata,
    nameItem: { ...keys.userSecretName(tenant, input.name), ...metadata },
    secretItem: { ...keys.userSecret(tenant, id), ...metadata, version: 1, kv: dataKey.version, ct },
  };
}

export async function getUserSecret({ ddb, config }: StoreDeps, sub: string, id: string): Promise<VersionedMetadata> {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: keys.userSecret(userTenant(sub), id),
      ConsistentRead: true,
      ...projection(...METADATA_ATTRIBUTES),
    }),
  );
  if (!Item) throw secretNotFound();
  const record = parseRecord(UserSecretRecord, Item, 'user-secret');
  return { metadata: toMetadata(record), version: record.version };
}

export async function listUserSecrets({ ddb, config }: StoreDeps, sub: string, query: ListUserSecretsQuery) {
  const page = await queryCountedPage({ ddb, tableName: config.tableName }, userTenant(sub), SK_PREFIX.userSecretName, query);
  return {
    secrets: page.items.map((item) => toMetadata(parseRecord(UserSecretMetadataRecord, item, 'user-secret-name'))),
    total: page.total,
    next_cursor: page.nextCursor,
  };
}

export async function updateUserSecret(
  deps: ValueDeps,
  sub: string,
  id: string,
  value: string,
  precondition: Precondition,
): Promise<VersionedMetadata> {
  const { ddb, config, keyring } = deps;
  const tenant = userTenant(sub);
  // Someone else may write in between, or the tenant key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite(async () => {
    const current = await getUserSecret(deps, sub, id);
    checkPrecondition(precondition, current.version);
    const dataKey = await keyring.active(tenant);
    const now = nowTimestamp();
    const masked = maskValue(value);
    const ct = sealValue(dataKey.key, value, { tenant, recordId: id, keyVersion: dataKey.version });
    await transactWrite(ddb, [
      {
        Update: {
          TableName: config.tableName,
          Key: keys.userSecret(tenant, id),
          UpdateExpression: 'SET ct = :ct, kv = :kv, masked_value = :masked, updated_at = :now, version = :next',
          ConditionExpression: 'version = :read',
          ExpressionAttributeValues: {
            ':ct': ct,
            ':kv': dataKey.version,
            ':masked': masked,
            ':now': now,
            ':next': current.version + 1,
            ':read': current.version,
          },
        },
      },
      {
        Update: {
          TableName: config.tableName,
          Key: keys.userSecretName(tenant, current.metadata.name),
          UpdateExpression: 'SET masked_value = :masked, updated_at = :now',
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':masked': masked, ':now': now, ':id': id },
        },
      },
      activeKeyCheck(config.tableName, tenant, dataKey.version),
    ]);
    return {
      metadata: { ...current.metadata, masked_value: masked, updated_at: now },
      version: current.version + 1,
    };
  }, staleKeyRetry(keyring, tenant, 2));
}

export async function deleteUserSecret(deps: StoreDeps, sub: string, id: string, precondition: Precondition): Promise<void> {
  const { ddb, config } = deps;
  const tenant = userTenant(sub);
  await retryConditionalWrite(async () => {
    const current = await getUserSecret(deps, sub, id);
    checkPrecondition(precondition, current.version);
    await transactWrite(ddb, [
      {
        Delete: {
          TableName: config.tableName,
          Key: keys.userSecret(tenant, id),
          ConditionExpression: 'version = :read',
          ExpressionAttributeValues: { ':read': current.version },
        },
      },
      {
        Delete: {
          TableName: config.tableName,
          Key: keys.userSecretName(tenant, current.metadata.name),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      },
      { Update: totalUpdate(config.tableName, tenant, -1) },
    ]);
  });
}

/** Every value of the caller, decrypted, as `{NAME: value}`; audited. */
export async function injectUserSecrets(deps: ValueDeps, sub: string, requestId: string): Promise<Record<string, string>> {
  const { ddb, config, keyring } = deps;
  const tenant = userTenant(sub);
  const records = await readTenantItems({ ddb, tableName: config.tableName }, tenant, SK_PREFIX.secret, {
    schema: UserSecretValueRecord,
    type: 'user-secret-value',
    attributes: ['id', 'name', 'kv', 'ct'],
  });
  const env: Record<string, string> = {};
  for (const record of records) {
    const dataKey = await keyring.version(tenant, record.kv);
    env[record.name] = openValue(dataKey.key, record.ct, { tenant, recordId: record.id, keyVersion: record.kv });
  }
  await recordAudit(deps, tenant, { action: 'inject', actor: sub, requestId, keys: Object.keys(env) });
  return env;
}

function secretNotFound(): NotFoundError {
  return new NotFoundError('Secret not found');
}

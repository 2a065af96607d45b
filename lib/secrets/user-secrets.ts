import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import type { DataKey, Keyring } from '../crypto/keyring.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../http/errors.js';
import { parseRecord } from '../http/validation.js';
import { keys, SK_META, SK_NAMES_END, SK_PREFIX, userTenant } from '../store/keys.js';
import { TransactionConditionFailed, transactWrite } from '../store/transactions.js';
import { nowTimestamp } from '../time.js';
import { decodeCursor, encodeCursor } from '../store/cursor.js';
import { recordAudit } from '../audit.js';
import { maskValue } from './masking.js';
import {
  type CreateUserSecretBody,
  type ListUserSecretsQuery,
  METADATA_PROJECTION,
  METADATA_PROJECTION_NAMES,
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

/** The versions a caller's `If-Match` allows (`undefined`: no precondition). */
export type Precondition = number[] | 'any' | undefined;

const MAX_WRITE_ATTEMPTS = 5;

export async function createUserSecret(deps: ValueDeps, sub: string, input: CreateUserSecretBody): Promise<VersionedMetadata> {
  const { ddb, config, keyring } = deps;
  const tenant = userTenant(sub);
  const secret = newUserSecret(tenant, input, await keyring.active(tenant));
  try {
    await transactWrite(ddb, [
      { Put: { TableName: config.tableName, Item: secret.nameItem, ConditionExpression: 'attribute_not_exists(PK)' } },
      { Put: { TableName: config.tableName, Item: secret.secretItem, ConditionExpression: 'attribute_not_exists(PK)' } },
      { Update: totalUpdate(config.tableName, tenant, 1) },
    ]);
  } catch (error) {
    if (error instanceof TransactionConditionFailed) {
      throw new ConflictError(`A secret named ${input.name} already exists`, {
        code: 'SECRET_EXISTS',
        field: 'name',
        hint: 'Update the existing secret with PUT, or choose another name.',
      });
    }
    throw error;
  }
  return { metadata: secret.metadata, version: 1 };
}

/** A new secret as stored: its name index entry and the secret item holding the sealed value. */
export interface NewUserSecret {
  metadata: UserSecretMetadata;
  nameItem: Record<string, unknown>;
  secretItem: Record<string, unknown>;
}

/** Builds (does not write) the items of a new secret, sealing the value under `dataKey`. */
export function newUserSecret(tenant: string, input: CreateUserSecretBody, dataKey: DataKey, now = nowTimestamp()): NewUserSecret {
  const id = randomUUID();
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

/** The tenant header update that keeps `total` exact, written in the same transaction as the change. */
export function totalUpdate(tableName: string, tenant: string, delta: number) {
  return {
    TableName: tableName,
    Key: keys.tenantMeta(tenant),
    UpdateExpression: 'ADD #total :delta',
    ExpressionAttributeNames: { '#total': 'total' },
    ExpressionAttributeValues: { ':delta': delta },
  };
}

export async function getUserSecret({ ddb, config }: StoreDeps, sub: string, id: string): Promise<VersionedMetadata> {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: keys.userSecret(userTenant(sub), id),
      ConsistentRead: true,
      ProjectionExpression: METADATA_PROJECTION,
      ExpressionAttributeNames: METADATA_PROJECTION_NAMES,
    }),
  );
  if (!Item) throw secretNotFound();
  const record = parseRecord(UserSecretRecord, Item, 'user-secret');
  return { metadata: toMetadata(record), version: record.version };
}

export async function listUserSecrets({ ddb, config }: StoreDeps, sub: string, query: ListUserSecretsQuery) {
  const tenant = userTenant(sub);
  const after = decodeCursor(query.cursor, SK_PREFIX.userSecretName);
  // One extra item tells whether another page exists without an empty trailing page.
  const pageQuery = {
    TableName: config.tableName,
    ExpressionAttributeValues: { ':pk': tenant },
    Limit: query.limit + 1,
    ConsistentRead: true,
  };
  let items: Record<string, unknown>[];
  let header: Record<string, unknown> | undefined;
  if (after === undefined) {
    // The first page — most lists — reads the tenant header (for `total`) in the same Query:
    // META sorts right before the names, with nothing between (see keys.ts).
    const { Items = [] } = await ddb.send(
      new QueryCommand({
        ...pageQuery,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :namesEnd',
        ExpressionAttributeValues: { ':pk': tenant, ':meta': SK_META, ':namesEnd': SK_NAMES_END },
        Limit: query.limit + 2,
      }),
    );
    header = Items[0]?.SK === SK_META ? Items[0] : undefined;
    items = header ? Items.slice(1) : Items;
  } else {
    const [page, meta] = await Promise.all([
      ddb.send(
        new QueryCommand({
          ...pageQuery,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.userSecretName },
          ExclusiveStartKey: { PK: tenant, SK: after },
        }),
      ),
      ddb.send(
        new GetCommand({
          TableName: config.tableName,
          Key: keys.tenantMeta(tenant),
          ConsistentRead: true,
          ProjectionExpression: '#total',
          ExpressionAttributeNames: { '#total': 'total' },
        }),
      ),
    ]);
    items = page.Items ?? [];
    header = meta.Item;
  }
  const shown = items.slice(0, query.limit);
  const last = shown.at(-1);
  return {
    secrets: shown.map((item) => toMetadata(parseRecord(UserSecretMetadataRecord, item, 'user-secret-name'))),
    total: typeof header?.total === 'number' ? header.total : 0,
    next_cursor: items.length > query.limit && last ? encodeCursor(String(last.SK)) : null,
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
  for (let attempt = 1; ; attempt++) {
    const current = await getUserSecret(deps, sub, id);
    checkPrecondition(precondition, current.version);
    const dataKey = await keyring.active(tenant);
    const now = nowTimestamp();
    const masked = maskValue(value);
    const ct = sealValue(dataKey.key, value, { tenant, recordId: id, keyVersion: dataKey.version });
    try {
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
      ]);
      return {
        metadata: { ...current.metadata, masked_value: masked, updated_at: now },
        version: current.version + 1,
      };
    } catch (error) {
      // Someone else wrote in between: re-read, so a precondition is judged on the new version.
      if (!(error instanceof TransactionConditionFailed) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
    }
  }
}

export async function deleteUserSecret(deps: StoreDeps, sub: string, id: string, precondition: Precondition): Promise<void> {
  const { ddb, config } = deps;
  const tenant = userTenant(sub);
  for (let attempt = 1; ; attempt++) {
    const current = await getUserSecret(deps, sub, id);
    checkPrecondition(precondition, current.version);
    try {
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
      return;
    } catch (error) {
      if (!(error instanceof TransactionConditionFailed) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
    }
  }
}

/** Every value of the caller, decrypted, as `{NAME: value}`; audited. */
export async function injectUserSecrets(deps: ValueDeps, sub: string, requestId: string): Promise<Record<string, string>> {
  const { ddb, config, keyring } = deps;
  const tenant = userTenant(sub);
  const records = [];
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: config.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.userSecret },
      ProjectionExpression: 'id, #name, kv, ct',
      ExpressionAttributeNames: { '#name': 'name' },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) records.push(parseRecord(UserSecretValueRecord, item, 'user-secret-value'));
  }
  const env: Record<string, string> = {};
  for (const record of records) {
    const dataKey = await keyring.version(tenant, record.kv);
    env[record.name] = openValue(dataKey.key, record.ct, { tenant, recordId: record.id, keyVersion: record.kv });
  }
  await recordAudit(deps, tenant, { action: 'inject', actor: sub, requestId, keys: Object.keys(env) });
  return env;
}

function checkPrecondition(precondition: Precondition, version: number): void {
  if (Array.isArray(precondition) && !precondition.includes(version)) throw new PreconditionFailedError();
}

function secretNotFound(): NotFoundError {
  return new NotFoundError('Secret not found', { code: 'SECRET_NOT_FOUND' });
}

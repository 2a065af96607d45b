import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { whenConditionHolds } from '../conditions.js';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem, getItems, lazyShape } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';
import { epochSeconds, nonNegativeInt, positiveInt, sealedFields, timestamp } from './fields.js';
import type { SealedValue } from './value-item.js';

/**
 * An earlier value of a secret (SK = VERSION#<record id>#<slot>), user or environment alike:
 * the value as it was sealed when written at record version `value_version`, moved here
 * unchanged when a newer value replaced it. A secret keeps at most MAX_VERSIONS - 1 of them in
 * numbered slots; the record's `history` says which version each slot holds, and the write that
 * pushes out the oldest version overwrites its slot, so keeping history costs one item per write.
 * `expires_at` is set while its secret is in the trash, so the table's TTL removes it with it.
 */

/** A value version a secret keeps, and the VERSION# slot that holds it. */
const KeptVersion = z.object({ version: positiveInt, slot: nonNegativeInt });
export type KeptVersion = z.infer<typeof KeptVersion>;

/**
 * The kept versions as stored: one string of `<version>.<slot>` pairs, oldest first
 * ("3.0 5.1"). Every read of the record parses (and DynamoDB bills) the whole item, projection
 * or not, and a list of maps would make each list and inject read several times the bytes.
 */
const StoredHistory = z.codec(z.string().check(z.regex(/^(\d+\.\d+( \d+\.\d+)*)?$/)), z.array(KeptVersion), {
  decode: (stored) =>
    stored === ''
      ? []
      : stored.split(' ').map((pair) => {
          const [version, slot] = pair.split('.');
          return { version: Number(version), slot: Number(slot) };
        }),
  encode: (history) => history.map(({ version, slot }) => `${version}.${slot}`).join(' '),
});

/** The kept versions of a stored history, for a reader of raw items (the record schemas decode it themselves). */
export const keptVersionsOf = (stored: string): KeptVersion[] => z.decode(StoredHistory, stored);

/** A record (or the part of it a write sets) as the table stores it: its history encoded. */
export function storedLineage(record: object): Record<string, unknown> {
  const { history } = record as { history?: KeptVersion[] };
  return history === undefined ? { ...record } : { ...record, history: z.encode(StoredHistory, history) };
}

/** What every secret record carries about its current value and the versions kept before it. */
export const ValueLineage = {
  /** The record version the current value was written at: part of its AAD. */
  value_version: positiveInt,
  value_at: timestamp,
  value_by: z.string(),
  /** Value versions kept as VERSION# items and the slot each is in, oldest first; the current one is not among them. */
  history: StoredHistory,
};

type Lineage = { [Field in keyof typeof ValueLineage]: z.infer<(typeof ValueLineage)[Field]> };

const secretVersionRecord = () =>
  z.object({
    value_version: positiveInt,
    /** The name the value is bound to (a user secret's name, an environment secret's key). */
    name: z.string(),
    masked_value: z.string(),
    value_bytes: nonNegativeInt,
    created_at: timestamp,
    created_by: z.string(),
    expires_at: z.optional(epochSeconds),
  });
export type SecretVersionRecord = z.infer<ReturnType<typeof secretVersionRecord>>;
export type SecretVersionValueRecord = SecretVersionRecord & SealedValue;

const metadataShape = /* @__PURE__ */ lazyShape('secret-version', () => {
  const schema = secretVersionRecord();
  return { schema, attributes: Object.keys(schema.shape) };
});
const valueShape = lazyShape<SecretVersionValueRecord>('secret-version-value', () => ({
  schema: z.object({ ...secretVersionRecord().shape, ...sealedFields }),
}));

/** What a list of versions reads of each version item: never its value. */
export const secretVersionAttributes = (): readonly string[] => metadataShape.attributes!;

/** A change of a version item, as one of a transaction's items or written on its own when a transaction is full. */
export interface VersionChange {
  transactItem: TransactItem;
  send: (table: TableDeps) => Promise<void>;
}

function versionUpdate(
  { config }: TableDeps,
  tenant: string,
  recordId: string,
  slot: number,
  expression: Pick<NonNullable<TransactItem['Update']>, 'UpdateExpression' | 'ExpressionAttributeValues'>,
): VersionChange {
  const update = {
    TableName: config.tableName,
    Key: itemKeys.secretVersion(tenant, recordId, slot),
    ...expression,
    // A version pruned meanwhile stays gone.
    ConditionExpression: 'attribute_exists(PK)',
  };
  return {
    transactItem: { Update: update },
    send: async ({ ddb }) => void (await whenConditionHolds(ddb.send(new UpdateCommand(update)))),
  };
}

/** A version into its slot, over whatever the slot held (the version pruned, or a leftover of an earlier secret). */
export const put = (
  { config }: TableDeps,
  tenant: string,
  { recordId, slot }: { recordId: string; slot: number },
  record: SecretVersionRecord,
  sealed: SealedValue,
): TransactItem => ({
  Put: {
    TableName: config.tableName,
    Item: { ...itemKeys.secretVersion(tenant, recordId, slot), ...record, ...sealed },
  },
});

/**
 * A secret's current value as the version it becomes when a new one replaces it: moved as
 * sealed, since its AAD already names this record, name and version.
 */
export const putSuperseded = (
  table: TableDeps,
  tenant: string,
  { recordId, name, slot }: { recordId: string; name: string; slot: number },
  current: Lineage & SealedValue & { masked_value: string; value_bytes?: number },
): TransactItem =>
  put(
    table,
    tenant,
    { recordId, slot },
    {
      value_version: current.value_version,
      name,
      masked_value: current.masked_value,
      value_bytes: current.value_bytes ?? 0,
      created_at: current.value_at,
      created_by: current.value_by,
    },
    { kv: current.kv, ct: current.ct },
  );

export const deleteItem = ({ config }: TableDeps, tenant: string, recordId: string, slot: number): TransactItem => ({
  Delete: { TableName: config.tableName, Key: itemKeys.secretVersion(tenant, recordId, slot) },
});

/** Removal when its secret is purged. */
export function remove(table: TableDeps, tenant: string, recordId: string, slot: number): VersionChange {
  const transactItem = deleteItem(table, tenant, recordId, slot);
  return { transactItem, send: async ({ ddb }) => void (await ddb.send(new DeleteCommand(transactItem.Delete!))) };
}

/** The metadata of the versions in these slots; never a ciphertext. */
export async function metadata(
  table: TableDeps,
  tenant: string,
  recordId: string,
  slots: readonly number[],
): Promise<SecretVersionRecord[]> {
  const keys = slots.map((slot) => itemKeys.secretVersion(tenant, recordId, slot));
  const found = await getItems(table, keys, metadataShape);
  return found.filter((record): record is SecretVersionRecord => record !== undefined);
}

export const getValue = (
  table: TableDeps,
  tenant: string,
  recordId: string,
  slot: number,
): Promise<SecretVersionValueRecord | undefined> =>
  getItem(table, itemKeys.secretVersion(tenant, recordId, slot), valueShape);

/** The versions in these slots with their values, in their order (a rename re-seals them). */
export async function values(
  table: TableDeps,
  tenant: string,
  recordId: string,
  slots: readonly number[],
): Promise<SecretVersionValueRecord[]> {
  const keys = slots.map((slot) => itemKeys.secretVersion(tenant, recordId, slot));
  const found = await getItems(table, keys, valueShape);
  return found.filter((record): record is SecretVersionValueRecord => record !== undefined);
}

/** The version sealed anew for another name; a version pruned meanwhile stays gone. */
export function rebind(
  { config }: TableDeps,
  tenant: string,
  { recordId, slot }: { recordId: string; slot: number },
  record: SecretVersionRecord & SealedValue,
): VersionChange {
  const { kv, ct, ...attributes } = record;
  const put = {
    TableName: config.tableName,
    Item: { ...itemKeys.secretVersion(tenant, recordId, slot), ...attributes, kv, ct },
    ConditionExpression: 'attribute_exists(PK)',
  };
  return {
    transactItem: { Put: put },
    send: async ({ ddb }) => void (await whenConditionHolds(ddb.send(new PutCommand(put)))),
  };
}

/** Lets the table's TTL remove the version with its trashed secret. */
export const expireAt = (table: TableDeps, tenant: string, recordId: string, slot: number, expiresAt: number) =>
  versionUpdate(table, tenant, recordId, slot, {
    UpdateExpression: 'SET expires_at = :at',
    ExpressionAttributeValues: { ':at': expiresAt },
  });

/** Keeps the version for good again, when its secret is restored. */
export const keep = (table: TableDeps, tenant: string, recordId: string, slot: number) =>
  versionUpdate(table, tenant, recordId, slot, { UpdateExpression: 'REMOVE expires_at' });

export { deleteItem as delete };

import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { decodeCursor, pageOf } from './cursor.js';
import type { TableDeps } from './dynamodb.js';
import { projection } from './expressions.js';
import { type Key, prefixEnd } from './keys.js';
import type { PageQuery } from './page-query.js';
import { parseRecord } from './records.js';

/** How an item type is read back: its schema, the name its failures are logged under, what to fetch. */
export interface RecordShape<T> {
  schema: z.ZodMiniType<T>;
  type: string;
  attributes?: readonly string[];
}

/**
 * A shape whose schema is built on its first read. Every schema built at module scope is paid
 * for at each cold start, and a function reads only a few of the shapes its item modules define.
 * Module-scope calls are marked `@__PURE__`, so a bundle that never reads one drops it.
 */
export function lazyShape<T>(type: string, build: () => Omit<RecordShape<T>, 'type'>): RecordShape<T> {
  let built: Omit<RecordShape<T>, 'type'> | undefined;
  const shape = () => {
    built ??= build();
    return built;
  };
  return {
    type,
    get schema() {
      return shape().schema;
    },
    get attributes() {
      return shape().attributes;
    },
  };
}

/** One item by key, strongly consistent and validated; `undefined` when there is none. */
export async function getItem<T>({ ddb, config }: TableDeps, key: Key, shape: RecordShape<T>): Promise<T | undefined> {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: key,
      ConsistentRead: true,
      ...(shape.attributes ? projection(...shape.attributes) : {}),
    }),
  );
  return Item ? parseRecord(shape.schema, Item, shape.type) : undefined;
}

/** BatchGetItem's most keys per request. */
const BATCH_GET_LIMIT = 100;

/**
 * Items by key, strongly consistent and validated, in the order of `keys` (`undefined` where
 * there is none). Keys DynamoDB leaves unprocessed under load are asked for again.
 */
export async function getItems<T>(
  { ddb, config }: TableDeps,
  keys: readonly Key[],
  shape: RecordShape<T>,
): Promise<(T | undefined)[]> {
  const found = new Map<string, Record<string, unknown>>();
  const id = (key: Record<string, unknown>) => `${String(key.PK)}\n${String(key.SK)}`;
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { Responses, UnprocessedKeys } = await ddb.send(
        new BatchGetCommand({
          RequestItems: {
            [config.tableName]: {
              Keys: pending,
              ConsistentRead: true,
              ...(shape.attributes ? projection('PK', 'SK', ...shape.attributes) : {}),
            },
          },
        }),
      );
      for (const item of Responses?.[config.tableName] ?? []) found.set(id(item), item);
      pending = UnprocessedKeys?.[config.tableName]?.Keys ?? [];
      if (pending.length > 0) await sleep(Math.min(100, 5 * 2 ** attempt) * Math.random());
    }
  }
  return keys.map((key) => {
    const item = found.get(id(key));
    return item && parseRecord(shape.schema, item, shape.type);
  });
}

/**
 * Every item of a tenant under a sort-key prefix, all pages, strongly consistent, each
 * validated as it is read back. For whole-tenant reads: inject, rotation sweeps, re-wraps.
 */
export async function readTenantItems<T>(
  { ddb, config }: TableDeps,
  tenant: string,
  prefix: string,
  shape: RecordShape<T>,
  pageSize?: number,
): Promise<T[]> {
  const items: T[] = [];
  const pages = paginateQuery(
    { client: ddb, pageSize },
    {
      TableName: config.tableName,
      // The prefix as a range (`#` … `$`): the same items as begins_with, read as a key range.
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :prefix AND :end',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix, ':end': prefixEnd(prefix) },
      ConsistentRead: true,
      ...(shape.attributes ? projection(...shape.attributes) : {}),
    },
  );
  // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
  for await (const page of pages)
    for (const item of page.Items ?? []) items.push(parseRecord(shape.schema, item, shape.type));
  return items;
}

/**
 * Up to `wanted` items of one Query, following `LastEvaluatedKey`: DynamoDB stops a Query at
 * 1 MB read before projection, so large items (sealed values) can end a page early although
 * more match. Asks each time for no more than is still wanted.
 */
export async function queryUpTo(
  ddb: DynamoDBDocumentClient,
  input: QueryCommandInput,
  wanted: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start = input.ExclusiveStartKey;
  do {
    // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
    const { Items = [], LastEvaluatedKey } = await ddb.send(
      new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: wanted - items.length }),
    );
    items.push(...Items);
    start = LastEvaluatedKey;
  } while (start && items.length < wanted);
  return items;
}

/** Items a page leaves out, such as those past their expiry that the TTL has not removed yet. */
export interface ItemFilter {
  expression: string;
  values: Record<string, unknown>;
}

/**
 * One page of a tenant's items under a sort-key prefix, strongly consistent and validated,
 * with the cursor of the next page: in key order, or newest first for ULID-keyed items. The
 * partition is always `tenant`, so a cursor cannot reach another tenant's items.
 */
export async function readTenantPage<T>(
  { ddb, config }: TableDeps,
  tenant: string,
  prefix: string,
  page: PageQuery,
  shape: RecordShape<T>,
  order: 'ascending' | 'newest first' = 'ascending',
  filter?: ItemFilter,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, prefix);
  const items = await queryUpTo(
    ddb,
    {
      TableName: config.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix, ...filter?.values },
      ExclusiveStartKey: after === undefined ? undefined : { PK: tenant, SK: after },
      ScanIndexForward: order === 'ascending',
      ConsistentRead: true,
      ...(shape.attributes ? projection('SK', ...shape.attributes) : {}),
    },
    page.limit + 1,
  );
  const { shown, nextCursor } = pageOf(items, page.limit);
  return { items: shown.map((item) => parseRecord(shape.schema, item, shape.type)), nextCursor };
}
